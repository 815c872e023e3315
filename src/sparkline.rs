//! ASCII sparklines (Redis's sparkline.c), the graphs LATENCY GRAPH draws: one column per
//! sample, `rows` text rows high, filled below the curve, with each sample's label written
//! vertically under its column.
//!
//! ```text
//!  #
//!  |_
//!  ||
//! _||
//!
//! 320
//! sss
//! ```

/// Characters for the top of a column within one row, by height (Redis's `charset_fill`);
/// a column that rises above the row fills it with `|`.
const CHARSET_FILL: &[u8] = b"_o#";

/// Blank rows between the graph and the labels.
const LABEL_MARGIN_TOP: usize = 1;

/// Samples to draw (Redis's `struct sequence`): values with their labels, and the range
/// the values span, which sets the scale.
#[derive(Debug, Default)]
pub struct Sequence {
    samples: Vec<(f64, String)>,
    min: f64,
    max: f64,
}

impl Sequence {
    /// Appends a sample (Redis's sparklineSequenceAddSample).
    pub fn add_sample(&mut self, value: f64, label: String) {
        if self.samples.is_empty() {
            self.min = value;
            self.max = value;
        } else if value < self.min {
            self.min = value;
        } else if value > self.max {
            self.max = value;
        }
        self.samples.push((value, label));
    }

    /// The graph, `rows` high, in blocks of at most `columns` samples separated by a blank
    /// line (Redis's sparklineRender with SPARKLINE_FILL).
    pub fn render(&self, columns: usize, rows: usize) -> String {
        let mut out = String::new();
        for (n, block) in self.samples.chunks(columns.max(1)).enumerate() {
            if n > 0 {
                out.push('\n');
            }
            self.render_range(&mut out, block, rows);
        }
        out
    }

    /// Draws one block of samples (Redis's sparklineRenderRange): each value scaled into
    /// `rows * 3` steps over the whole sequence's range, the rows from the top down, then a
    /// blank row, then the labels one character per row.
    fn render_range(&self, out: &mut String, block: &[(f64, String)], rows: usize) {
        let steps = (CHARSET_FILL.len() * rows) as i64;
        let range = if self.max - self.min == 0.0 {
            1.0
        } else {
            self.max - self.min
        };
        let labels = self.samples.iter().any(|(_, label)| !label.is_empty());
        let mut row = 0;
        loop {
            let mut line = vec![b' '; block.len()];
            let mut more = false;
            if row < rows {
                more = true;
                for ((value, _), cell) in block.iter().zip(line.iter_mut()) {
                    // Redis truncates the scaled value to an integer before dividing.
                    let step = (((value - self.min) * steps as f64) as i64) as f64 / range;
                    let step = (step as i64).clamp(0, steps - 1);
                    let index = step - ((rows - row - 1) * CHARSET_FILL.len()) as i64;
                    if index >= CHARSET_FILL.len() as i64 {
                        *cell = b'|';
                    } else if let Some(&ch) = usize::try_from(index)
                        .ok()
                        .and_then(|i| CHARSET_FILL.get(i))
                    {
                        *cell = ch;
                    }
                }
            } else if labels && row - rows < LABEL_MARGIN_TOP {
                more = true;
            } else {
                let label_row = row - rows - LABEL_MARGIN_TOP;
                for ((_, label), cell) in block.iter().zip(line.iter_mut()) {
                    if let Some(&ch) = label.as_bytes().get(label_row) {
                        *cell = ch;
                        more = true;
                    }
                }
            }
            if !more {
                break;
            }
            out.push_str(&String::from_utf8_lossy(&line));
            out.push('\n');
            row += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_as_redis_latency_graph() {
        // redis-server 7.0's LATENCY GRAPH body for samples of 10, 50 and 30 ms taken 3, 2
        // and 0 seconds ago.
        let mut seq = Sequence::default();
        for (value, label) in [(10.0, "3s"), (50.0, "2s"), (30.0, "0s")] {
            seq.add_sample(value, label.to_string());
        }
        assert_eq!(seq.render(80, 4), " # \n |_\n ||\n_||\n   \n320\nsss\n");
        // One value: the range is taken as 1, the column is at the bottom.
        let mut seq = Sequence::default();
        seq.add_sample(7.0, "12m".to_string());
        assert_eq!(seq.render(80, 4), " \n \n \n_\n \n1\n2\nm\n");
        // Wider than the columns: blocks separated by a blank line.
        let mut seq = Sequence::default();
        for v in 0..3 {
            seq.add_sample(v as f64, "s".to_string());
        }
        assert_eq!(seq.render(2, 1), "_o\n  \nss\n\n#\n \ns\n");
    }
}
