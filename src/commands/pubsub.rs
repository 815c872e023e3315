//! Publish/subscribe (Redis's pubsub.c): who listens to what, and the commands that change it
//! or send to it.
//!
//! Subscriptions are recorded twice, as in Redis: the server side ([`PubSub`], in
//! `Server::pubsub`) maps each channel, shard channel and pattern to its subscribers in
//! subscription order, which is the order PUBLISH delivers in; the client side
//! ([`ClientPubSub`], in `Client::pubsub`) lists what one client is subscribed to, for its
//! confirmation counts, UNSUBSCRIBE without arguments, RESET and disconnection. Every change
//! goes through this module's `pubsub_*` functions, which update both sides together.
//!
//! Subscribers are named by their slab token. A token stays valid while the client lives: a
//! client's subscriptions are all removed before its slot is freed (`free_closing_clients`
//! calls [`pubsub_unsubscribe_all`]), so a token in these lists never names a reused slot.
//!
//! A message is appended to each subscriber's reply buffer and the subscriber is queued for
//! writing ([`queue_write_on`]); `before_sleep` writes it like any reply. A subscriber that
//! does not read keeps its messages in its buffer until its class's
//! `client-output-buffer-limit` is passed, and is then closed
//! ([`close_client_on_output_buffer_limit_reached`]). Nothing here waits on a socket, so a
//! slow subscriber never slows the publisher or the other subscribers.
//!
//! Shard channels (SSUBSCRIBE, SPUBLISH) are a separate namespace with their own counts; on a
//! single node they behave like channels without patterns, as in Redis 7.0 outside cluster
//! mode.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use crate::client::{
    check_client_output_buffer_limits, close_client_on_output_buffer_limit_reached, put_client,
    queue_write_on, take_client, Client,
};
use crate::commands::{flags::*, subcommand_syntax_error, Command, NO_KEYS};
use crate::resp::reply::Reply;
use crate::server::Server;
use crate::util::string_match;

/// The server's side of every subscription (Redis's server.pubsub_channels,
/// server.pubsub_patterns and server.pubsubshard_channels). Invariant: no list is empty (a
/// channel or pattern is removed with its last subscriber), and a token appears at most once
/// per list, exactly when that client's [`ClientPubSub`] holds the same name.
#[derive(Debug, Default)]
pub struct PubSub {
    /// Channel → subscribers' tokens, in subscription order.
    channels: HashMap<Bytes, Vec<usize>>,
    /// Shard channel → subscribers' tokens, in subscription order.
    shard_channels: HashMap<Bytes, Vec<usize>>,
    /// Pattern → subscribers' tokens; patterns in order of first subscription. PUBLISH tests
    /// every pattern against the channel, so a list is as fast as a map here.
    patterns: Vec<(Bytes, Vec<usize>)>,
    /// Messages for subscribers that were out of the slab when the server published them:
    /// the client whose command caused a keyspace event (RESP3 lets a subscribed client run
    /// any command) or a blocked client being served. They are written once the command's
    /// reply is ([`deliver_pending_messages`]), in the order they were published.
    pending: Vec<PendingMessage>,
}

/// A message owed to a subscriber that could not take it when it was published.
#[derive(Debug)]
struct PendingMessage {
    /// The subscriber's slot. A message never outlives the turn it was published in (the
    /// last delivery is in `before_sleep`, before closed clients are freed and before new
    /// ones are accepted), so the slot still holds the subscriber when it is delivered.
    token: usize,
    /// `message` or `smessage`; `pattern` is set for a `pmessage`.
    kind: &'static [u8],
    pattern: Option<Bytes>,
    channel: Bytes,
    message: Bytes,
}

impl PendingMessage {
    /// Writes the message as it would have been written at publication.
    fn write(&self, r: &mut Reply) {
        match &self.pattern {
            Some(pattern) => add_reply_pubsub_pat_message(r, pattern, &self.channel, &self.message),
            None => add_reply_pubsub_message(r, self.kind, &self.channel, &self.message),
        }
    }
}

impl PubSub {
    /// Channels with at least one subscriber (INFO's pubsub_channels).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Distinct patterns with at least one subscriber (INFO's pubsub_patterns, PUBSUB
    /// NUMPAT).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Shard channels with at least one subscriber (INFO's pubsubshard_channels).
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }
}

/// One client's subscriptions (Redis's c->pubsub_channels, c->pubsub_patterns and
/// c->pubsubshard_channels). A client with any is in Redis's "pubsub" state
/// ([`ClientPubSub::is_subscribed`]).
#[derive(Debug, Default)]
pub struct ClientPubSub {
    channels: HashSet<Bytes>,
    shard_channels: HashSet<Bytes>,
    /// In subscription order, which PUNSUBSCRIBE without arguments follows (a list in Redis
    /// too).
    patterns: Vec<Bytes>,
}

impl ClientPubSub {
    /// Redis's CLIENT_PUBSUB flag: the client has at least one subscription of any kind.
    /// In RESP2 it may then only run the subscription commands, PING, QUIT and RESET; CLIENT
    /// LIST shows flag `P`; its output falls under the `pubsub` buffer limits.
    pub fn is_subscribed(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty() || !self.shard_channels.is_empty()
    }

    /// Subscribed channels (CLIENT LIST sub=).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Subscribed patterns (CLIENT LIST psub=).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Subscribed shard channels (CLIENT LIST ssub=).
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }

    /// The count subscription replies carry for channels and patterns (Redis's
    /// clientSubscriptionsCount): shard channels are counted apart.
    fn subscriptions_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}

/// The two kinds of channel, which share the subscription logic but differ in names, maps
/// and counts (Redis's pubSubType / pubSubShardType).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PubSubType {
    Global,
    Shard,
}

impl PubSubType {
    fn server_channels(self, ps: &mut PubSub) -> &mut HashMap<Bytes, Vec<usize>> {
        match self {
            PubSubType::Global => &mut ps.channels,
            PubSubType::Shard => &mut ps.shard_channels,
        }
    }

    fn client_channels(self, cps: &mut ClientPubSub) -> &mut HashSet<Bytes> {
        match self {
            PubSubType::Global => &mut cps.channels,
            PubSubType::Shard => &mut cps.shard_channels,
        }
    }

    /// The count a confirmation of this type reports.
    fn subscription_count(self, cps: &ClientPubSub) -> usize {
        match self {
            PubSubType::Global => cps.subscriptions_count(),
            PubSubType::Shard => cps.shard_channels.len(),
        }
    }

    fn subscribe_msg(self) -> &'static [u8] {
        match self {
            PubSubType::Global => b"subscribe",
            PubSubType::Shard => b"ssubscribe",
        }
    }

    fn unsubscribe_msg(self) -> &'static [u8] {
        match self {
            PubSubType::Global => b"unsubscribe",
            PubSubType::Shard => b"sunsubscribe",
        }
    }

    fn message_bulk(self) -> &'static [u8] {
        match self {
            PubSubType::Global => b"message",
            PubSubType::Shard => b"smessage",
        }
    }
}

/// This module's rows of the command table.
pub static COMMANDS: &[Command] = &[
    Command::new(
        "subscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        subscribe_command,
    ),
    Command::new(
        "unsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        unsubscribe_command,
    ),
    Command::new(
        "psubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        psubscribe_command,
    ),
    Command::new(
        "punsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        NO_KEYS,
        0,
        punsubscribe_command,
    ),
    Command::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        NO_KEYS,
        0,
        publish_command,
    ),
    // The shard commands name their channels where keys go (cluster routing reads the key
    // specs, flagged not_key), so their rows have key positions.
    Command::new(
        "ssubscribe",
        -2,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (1, -1, 1),
        0,
        ssubscribe_command,
    ),
    Command::new(
        "sunsubscribe",
        -1,
        PUBSUB | NOSCRIPT | LOADING | STALE,
        (1, -1, 1),
        0,
        sunsubscribe_command,
    ),
    Command::new(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        (1, 1, 1),
        0,
        spublish_command,
    ),
    Command::new(
        "pubsub",
        -2,
        0,
        NO_KEYS,
        0,
        crate::commands::container_command,
    )
    .with_subcommands(PUBSUB_SUBCOMMANDS),
];

static PUBSUB_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "pubsub|channels",
        -2,
        PUBSUB | LOADING | STALE,
        NO_KEYS,
        0,
        pubsub_channels_command,
    ),
    Command::new(
        "pubsub|help",
        2,
        LOADING | STALE,
        NO_KEYS,
        0,
        pubsub_help_command,
    ),
    Command::new(
        "pubsub|numpat",
        2,
        PUBSUB | LOADING | STALE,
        NO_KEYS,
        0,
        pubsub_numpat_command,
    ),
    Command::new(
        "pubsub|numsub",
        -2,
        PUBSUB | LOADING | STALE,
        NO_KEYS,
        0,
        pubsub_numsub_command,
    ),
    Command::new(
        "pubsub|shardchannels",
        -2,
        PUBSUB | LOADING | STALE,
        NO_KEYS,
        0,
        pubsub_shardchannels_command,
    ),
    Command::new(
        "pubsub|shardnumsub",
        -2,
        PUBSUB | LOADING | STALE,
        NO_KEYS,
        0,
        pubsub_shardnumsub_command,
    ),
];

/// True for the commands a RESP2 client with subscriptions may still run (Redis's
/// processCommand check): the subscription commands, PING, QUIT and RESET. Every other
/// command is refused with [`only_pubsub_allowed_error`].
pub fn allowed_in_pubsub_context(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// The refusal of a command a subscribed RESP2 client may not run, naming it in full
/// (`client|info`).
pub fn only_pubsub_allowed_error(cmd: &Command) -> String {
    format!(
        "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET \
         are allowed in this context",
        cmd.name
    )
}

// ---------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------

/// A message on `channel` (Redis's addReplyPubsubMessage): `message`/`smessage`, the
/// channel, the payload; a push frame in RESP3.
fn add_reply_pubsub_message(r: &mut Reply, kind: &[u8], channel: &[u8], msg: &[u8]) {
    r.push_len(3);
    r.bulk(kind);
    r.bulk(channel);
    r.bulk(msg);
}

/// A message on `channel` matched by `pattern` (Redis's addReplyPubsubPatMessage).
fn add_reply_pubsub_pat_message(r: &mut Reply, pattern: &[u8], channel: &[u8], msg: &[u8]) {
    r.push_len(4);
    r.bulk(b"pmessage");
    r.bulk(pattern);
    r.bulk(channel);
    r.bulk(msg);
}

/// A subscription confirmation: the command's name, what was subscribed to, and the count
/// of subscriptions of that family after it (Redis's addReplyPubsubSubscribed).
fn add_reply_pubsub_subscribed(r: &mut Reply, kind: &[u8], name: &[u8], count: usize) {
    r.push_len(3);
    r.bulk(kind);
    r.bulk(name);
    r.int(count as i64);
}

/// An unsubscription confirmation (Redis's addReplyPubsubUnsubscribed). `name` is `None`
/// when a client with nothing to drop sent the command without arguments: a null there.
fn add_reply_pubsub_unsubscribed(r: &mut Reply, kind: &[u8], name: Option<&[u8]>, count: usize) {
    r.push_len(3);
    r.bulk(kind);
    match name {
        Some(name) => r.bulk(name),
        None => r.null(),
    }
    r.int(count as i64);
}

// ---------------------------------------------------------------------------------------
// Subscribing and unsubscribing
// ---------------------------------------------------------------------------------------

/// Subscribes `c` to `channel` unless it already is, and confirms either way (Redis's
/// pubsubSubscribeChannel).
fn pubsub_subscribe_channel(srv: &mut Server, c: &mut Client, channel: &Bytes, ty: PubSubType) {
    if ty.client_channels(&mut c.pubsub).insert(channel.clone()) {
        ty.server_channels(&mut srv.pubsub)
            .entry(channel.clone())
            .or_default()
            .push(c.token);
    }
    let count = ty.subscription_count(&c.pubsub);
    add_reply_pubsub_subscribed(&mut c.reply, ty.subscribe_msg(), channel, count);
}

/// Unsubscribes `c` from `channel` if it is subscribed, and with `notify` confirms either
/// way (Redis's pubsubUnsubscribeChannel). Returns whether it was subscribed.
fn pubsub_unsubscribe_channel(
    srv: &mut Server,
    c: &mut Client,
    channel: &Bytes,
    notify: bool,
    ty: PubSubType,
) -> bool {
    let removed = ty.client_channels(&mut c.pubsub).remove(channel);
    if removed {
        let map = ty.server_channels(&mut srv.pubsub);
        if let Some(subscribers) = map.get_mut(channel) {
            subscribers.retain(|&t| t != c.token);
            if subscribers.is_empty() {
                map.remove(channel);
            }
        }
    }
    if notify {
        let count = ty.subscription_count(&c.pubsub);
        add_reply_pubsub_unsubscribed(&mut c.reply, ty.unsubscribe_msg(), Some(channel), count);
    }
    removed
}

/// Unsubscribes `c` from every channel of type `ty`, confirming each with `notify`; with
/// none to drop, `notify` confirms once with a null channel (Redis's
/// pubsubUnsubscribeAllChannelsInternal). The order is the client's set's, arbitrary, as
/// Redis's dict order is.
fn pubsub_unsubscribe_all_channels(srv: &mut Server, c: &mut Client, notify: bool, ty: PubSubType) {
    let channels: Vec<Bytes> = ty.client_channels(&mut c.pubsub).iter().cloned().collect();
    for channel in &channels {
        pubsub_unsubscribe_channel(srv, c, channel, notify, ty);
    }
    if notify && channels.is_empty() {
        let count = ty.subscription_count(&c.pubsub);
        add_reply_pubsub_unsubscribed(&mut c.reply, ty.unsubscribe_msg(), None, count);
    }
}

/// Subscribes `c` to `pattern` unless it already is, and confirms (Redis's
/// pubsubSubscribePattern).
fn pubsub_subscribe_pattern(srv: &mut Server, c: &mut Client, pattern: &Bytes) {
    if !c.pubsub.patterns.contains(pattern) {
        c.pubsub.patterns.push(pattern.clone());
        let patterns = &mut srv.pubsub.patterns;
        match patterns.iter_mut().find(|(p, _)| p == pattern) {
            Some((_, subscribers)) => subscribers.push(c.token),
            None => patterns.push((pattern.clone(), vec![c.token])),
        }
    }
    let count = c.pubsub.subscriptions_count();
    add_reply_pubsub_subscribed(&mut c.reply, b"psubscribe", pattern, count);
}

/// Unsubscribes `c` from `pattern` if it is subscribed, confirming with `notify` (Redis's
/// pubsubUnsubscribePattern).
fn pubsub_unsubscribe_pattern(srv: &mut Server, c: &mut Client, pattern: &Bytes, notify: bool) {
    if let Some(i) = c.pubsub.patterns.iter().position(|p| p == pattern) {
        c.pubsub.patterns.remove(i);
        let patterns = &mut srv.pubsub.patterns;
        if let Some(at) = patterns.iter().position(|(p, _)| p == pattern) {
            if let Some((_, subscribers)) = patterns.get_mut(at) {
                subscribers.retain(|&t| t != c.token);
                if subscribers.is_empty() {
                    patterns.remove(at);
                }
            }
        }
    }
    if notify {
        let count = c.pubsub.subscriptions_count();
        add_reply_pubsub_unsubscribed(&mut c.reply, b"punsubscribe", Some(pattern), count);
    }
}

/// Unsubscribes `c` from every pattern, in subscription order, confirming each with
/// `notify`; with none, `notify` confirms once with a null pattern (Redis's
/// pubsubUnsubscribeAllPatterns).
fn pubsub_unsubscribe_all_patterns(srv: &mut Server, c: &mut Client, notify: bool) {
    let patterns = c.pubsub.patterns.clone();
    for pattern in &patterns {
        pubsub_unsubscribe_pattern(srv, c, pattern, notify);
    }
    if notify && patterns.is_empty() {
        let count = c.pubsub.subscriptions_count();
        add_reply_pubsub_unsubscribed(&mut c.reply, b"punsubscribe", None, count);
    }
}

/// Drops every subscription of `c` without replying: RESET and disconnection (Redis's
/// freeClient / clearClientConnectionState calls). Afterwards no list in `Server::pubsub`
/// names the client's token.
pub fn pubsub_unsubscribe_all(srv: &mut Server, c: &mut Client) {
    pubsub_unsubscribe_all_channels(srv, c, false, PubSubType::Global);
    pubsub_unsubscribe_all_channels(srv, c, false, PubSubType::Shard);
    pubsub_unsubscribe_all_patterns(srv, c, false);
}

// ---------------------------------------------------------------------------------------
// Publishing
// ---------------------------------------------------------------------------------------

/// Where delivery writes: the publisher (out of the slab while its command runs) and every
/// other client, with the parts of the `Server` that queuing and the limit check need,
/// borrowed apart from `Server::pubsub`, which delivery walks at the same time.
struct Delivery<'a> {
    /// The publishing client, None for a message the server sends itself (keyspace
    /// notifications).
    me: Option<&'a mut Client>,
    clients: &'a mut slab::Slab<Option<Box<Client>>>,
    pending_writes: &'a mut Vec<usize>,
    config: &'a crate::config::Config,
    now_ms: i64,
    /// Subscribers found over their output limit; closed once delivery is done.
    over_limit: Vec<usize>,
    /// Subscribers out of the slab (running or being served): they get the message later.
    absent: Vec<usize>,
}

impl Delivery<'_> {
    /// Appends one message to subscriber `token` with `write`. A closing client gets
    /// nothing (Redis's prepareClientToWrite refuses it) but still counts as a receiver.
    fn send(&mut self, token: usize, write: impl FnOnce(&mut Reply)) {
        let is_me = self.me.as_ref().is_some_and(|me| me.token == token);
        let target: &mut Client = if is_me {
            match self.me.as_deref_mut() {
                Some(me) => me,
                None => return,
            }
        } else {
            match self.clients.get_mut(token) {
                Some(Some(client)) => client,
                Some(None) => return self.absent.push(token),
                None => return,
            }
        };
        if target.close_asap {
            return;
        }
        write(&mut target.reply);
        queue_write_on(self.pending_writes, target);
        // The publisher's own buffer is checked after its command, like any reply.
        if !is_me && check_client_output_buffer_limits(self.config, target, self.now_ms) {
            self.over_limit.push(token);
        }
    }
}

/// Sends `message` to every subscriber of `channel`, and for a global channel to every
/// client whose pattern matches it (one `pmessage` per matching pattern); returns the number
/// of deliveries (Redis's pubsubPublishMessage). Subscribers of the channel come first, in
/// subscription order, then patterns in order of first subscription. The publisher itself
/// may be a subscriber (RESP3 lets a subscribed client PUBLISH): its message lands in its
/// buffer before PUBLISH's reply.
fn pubsub_publish_message(
    srv: &mut Server,
    c: Option<&mut Client>,
    channel: &[u8],
    message: &[u8],
    ty: PubSubType,
) -> usize {
    let Server {
        pubsub,
        clients,
        pending_writes,
        config,
        now_ms,
        ..
    } = srv;
    let mut delivery = Delivery {
        me: c,
        clients,
        pending_writes,
        config,
        now_ms: *now_ms,
        over_limit: Vec::new(),
        absent: Vec::new(),
    };
    let mut receivers = 0;
    let mut owed = Vec::new();
    if let Some(subscribers) = ty.server_channels(pubsub).get(channel) {
        for &token in subscribers {
            delivery.send(token, |r| {
                add_reply_pubsub_message(r, ty.message_bulk(), channel, message)
            });
            receivers += 1;
        }
        owed.extend(delivery.absent.drain(..).map(|token| (token, None)));
    }
    if ty == PubSubType::Global {
        for (pattern, subscribers) in &pubsub.patterns {
            if !string_match(pattern, channel, false) {
                continue;
            }
            for &token in subscribers {
                delivery.send(token, |r| {
                    add_reply_pubsub_pat_message(r, pattern, channel, message)
                });
                receivers += 1;
            }
            owed.extend(
                delivery
                    .absent
                    .drain(..)
                    .map(|t| (t, Some(pattern.clone()))),
            );
        }
    }
    for token in std::mem::take(&mut delivery.over_limit) {
        if let Some(mut subscriber) = take_client(srv, token) {
            close_client_on_output_buffer_limit_reached(srv, &mut subscriber);
            put_client(srv, subscriber);
        }
    }
    for (token, pattern) in owed {
        owe_message(srv, token, ty.message_bulk(), pattern, channel, message);
    }
    receivers
}

/// Publishes a message the server itself sends (keyspace notifications, Redis's
/// `pubsubPublishMessage(channel, message, 0)`), to channel and pattern subscribers.
///
/// The client whose command caused the message is out of the slab while that command runs;
/// if it is itself subscribed (RESP3 allows it), its copy is kept in `PubSub::pending` and
/// written after the command's reply ([`deliver_pending_messages`]).
pub fn publish_from_server(srv: &mut Server, channel: &[u8], message: &[u8]) {
    pubsub_publish_message(srv, None, channel, message, PubSubType::Global);
}

/// True for the commands whose whole reply is push messages (subscription confirmations),
/// which CLIENT REPLY OFF / SKIP do not drop (Redis's CLIENT_PUSHING).
pub fn replies_with_pushes(name: &str) -> bool {
    matches!(
        name,
        "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" | "ssubscribe" | "sunsubscribe"
    )
}

/// Keeps a message for subscriber `token`, out of the slab at publication.
#[cold]
fn owe_message(
    srv: &mut Server,
    token: usize,
    kind: &'static [u8],
    pattern: Option<Bytes>,
    channel: &[u8],
    message: &[u8],
) {
    srv.pubsub.pending.push(PendingMessage {
        token,
        kind,
        pattern,
        channel: Bytes::copy_from_slice(channel),
        message: Bytes::copy_from_slice(message),
    });
}

/// Writes the messages published while their subscribers were out of the slab: `c`, the
/// client whose command just ended (after its reply, so a transaction's reply stays whole),
/// and any other that is back in its slot. Called at the end of every command and, with no
/// client, before sleeping, where a message whose subscriber is still absent is dropped
/// (no client is out of the slab between turns, so there is none).
pub fn deliver_pending_messages(srv: &mut Server, mut c: Option<&mut Client>) {
    if srv.pubsub.pending.is_empty() {
        return;
    }
    let mut kept = Vec::new();
    for p in std::mem::take(&mut srv.pubsub.pending) {
        match c.as_deref_mut() {
            Some(me) if me.token == p.token => {
                p.write(&mut me.reply);
                queue_write_on(&mut srv.pending_writes, me);
            }
            _ => match srv.clients.get_mut(p.token) {
                Some(Some(other)) if !other.close_asap => {
                    p.write(&mut other.reply);
                    queue_write_on(&mut srv.pending_writes, other);
                }
                Some(Some(_)) => {}
                Some(None) if c.is_some() => kept.push(p),
                _ => {}
            },
        }
    }
    srv.pubsub.pending = kept;
}

// ---------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------

/// SUBSCRIBE channel [channel ...]: one confirmation per argument, repeats included.
/// (Redis refuses it for a CLIENT_DENY_BLOCKING client outside MULTI, which only scripts
/// and modules are; rredis has neither, and inside MULTI it is allowed, as in 7.0.)
fn subscribe_command(srv: &mut Server, c: &mut Client) {
    subscribe_generic(srv, c, PubSubType::Global);
}

/// UNSUBSCRIBE [channel ...]: the named channels, or all of them.
fn unsubscribe_command(srv: &mut Server, c: &mut Client) {
    unsubscribe_generic(srv, c, PubSubType::Global);
}

/// SSUBSCRIBE shardchannel [shardchannel ...].
fn ssubscribe_command(srv: &mut Server, c: &mut Client) {
    subscribe_generic(srv, c, PubSubType::Shard);
}

/// The body of SUBSCRIBE and SSUBSCRIBE: one confirmation per argument.
fn subscribe_generic(srv: &mut Server, c: &mut Client, ty: PubSubType) {
    for j in 1..c.argv.len() {
        let channel = c.argv.arg_bytes(j);
        pubsub_subscribe_channel(srv, c, &channel, ty);
    }
}

/// SUNSUBSCRIBE [shardchannel ...].
fn sunsubscribe_command(srv: &mut Server, c: &mut Client) {
    unsubscribe_generic(srv, c, PubSubType::Shard);
}

/// The body of UNSUBSCRIBE and SUNSUBSCRIBE.
fn unsubscribe_generic(srv: &mut Server, c: &mut Client, ty: PubSubType) {
    if c.argv.len() == 1 {
        pubsub_unsubscribe_all_channels(srv, c, true, ty);
    } else {
        for j in 1..c.argv.len() {
            let channel = c.argv.arg_bytes(j);
            pubsub_unsubscribe_channel(srv, c, &channel, true, ty);
        }
    }
}

/// PSUBSCRIBE pattern [pattern ...].
fn psubscribe_command(srv: &mut Server, c: &mut Client) {
    for j in 1..c.argv.len() {
        let pattern = c.argv.arg_bytes(j);
        pubsub_subscribe_pattern(srv, c, &pattern);
    }
}

/// PUNSUBSCRIBE [pattern ...].
fn punsubscribe_command(srv: &mut Server, c: &mut Client) {
    if c.argv.len() == 1 {
        pubsub_unsubscribe_all_patterns(srv, c, true);
    } else {
        for j in 1..c.argv.len() {
            let pattern = c.argv.arg_bytes(j);
            pubsub_unsubscribe_pattern(srv, c, &pattern, true);
        }
    }
}

/// PUBLISH channel message: the number of clients that received it.
fn publish_command(srv: &mut Server, c: &mut Client) {
    publish_generic(srv, c, PubSubType::Global);
}

/// SPUBLISH shardchannel message: to shard subscribers only (no patterns).
fn spublish_command(srv: &mut Server, c: &mut Client) {
    publish_generic(srv, c, PubSubType::Shard);
}

/// The body of PUBLISH and SPUBLISH.
fn publish_generic(srv: &mut Server, c: &mut Client, ty: PubSubType) {
    let (channel, message) = (c.argv.arg_bytes(1), c.argv.arg_bytes(2));
    let receivers = pubsub_publish_message(srv, Some(c), &channel, &message, ty);
    c.reply.int(receivers as i64);
}

/// PUBSUB CHANNELS [pattern] / SHARDCHANNELS [pattern]: the active channels matching the
/// pattern (all without one), in the map's order (arbitrary, as Redis's dict order). More
/// than one pattern is Redis's subcommand syntax error.
fn channel_list(srv: &mut Server, c: &mut Client, ty: PubSubType) {
    if c.argv.len() > 3 {
        return subcommand_syntax_error(c);
    }
    let pattern = c.argv.get(2).cloned();
    let matching: Vec<&Bytes> = ty
        .server_channels(&mut srv.pubsub)
        .keys()
        .filter(|ch| {
            pattern
                .as_ref()
                .map_or(true, |p| string_match(p, ch, false))
        })
        .collect();
    c.reply.array_len(matching.len());
    for channel in matching {
        c.reply.bulk(channel);
    }
}

/// PUBSUB NUMSUB / SHARDNUMSUB [channel ...]: each channel followed by its subscriber count
/// (a flat array in RESP3 too, as in Redis 7.0).
fn numsub(srv: &mut Server, c: &mut Client, ty: PubSubType) {
    let map = ty.server_channels(&mut srv.pubsub);
    c.reply.array_len(c.argv.len().saturating_sub(2) * 2);
    for channel in c.argv.iter().skip(2) {
        c.reply.bulk(channel);
        c.reply.int(map.get(channel).map_or(0, Vec::len) as i64);
    }
}

fn pubsub_channels_command(srv: &mut Server, c: &mut Client) {
    channel_list(srv, c, PubSubType::Global);
}

fn pubsub_shardchannels_command(srv: &mut Server, c: &mut Client) {
    channel_list(srv, c, PubSubType::Shard);
}

fn pubsub_numsub_command(srv: &mut Server, c: &mut Client) {
    numsub(srv, c, PubSubType::Global);
}

fn pubsub_shardnumsub_command(srv: &mut Server, c: &mut Client) {
    numsub(srv, c, PubSubType::Shard);
}

/// PUBSUB NUMPAT: distinct patterns subscribed to, by anyone.
fn pubsub_numpat_command(srv: &mut Server, c: &mut Client) {
    c.reply.int(srv.pubsub.pattern_count() as i64);
}

/// PUBSUB HELP.
fn pubsub_help_command(_srv: &mut Server, c: &mut Client) {
    c.reply.help(
        "PUBSUB",
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
}

/// PING in a subscribed RESP2 connection: `pong` and the message (empty without one) as a
/// two-element array, so a client reading only arrays can tell it from messages (Redis's
/// pingCommand). Returns false when the normal reply applies.
pub fn ping_in_pubsub_context(c: &mut Client) -> bool {
    if !c.pubsub.is_subscribed() || c.reply.resp != 2 {
        return false;
    }
    let message = c.argv.arg_bytes(1);
    c.reply.array_len(2);
    c.reply.bulk(b"pong");
    c.reply.bulk(&message);
    true
}
