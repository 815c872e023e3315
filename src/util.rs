//! TEMPORARY stand-in; replaced by the real util module.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let t = std::str::from_utf8(s).ok()?;
    if t.is_empty()
        || t.starts_with('+')
        || (t.len() > 1 && t.starts_with('0'))
        || t.starts_with("-0")
    {
        return None;
    }
    t.parse().ok()
}
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}
pub fn write_i64(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(v.to_string().as_bytes())
}
pub fn format_double(v: f64, buf: &mut Vec<u8>) {
    buf.extend_from_slice(format!("{v}").as_bytes())
}
pub fn format_long_double(v: f64, buf: &mut Vec<u8>) {
    buf.extend_from_slice(format!("{v}").as_bytes())
}
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let _ = nocase;
    pattern == b"*" || pattern == string
}
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
pub fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}
pub fn random_seed() -> u64 {
    now_us() as u64
}
