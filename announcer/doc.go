// Package announcer keeps torrents announced to their trackers.
//
// Every default (intervals, retries, limits, buffers, timeouts) is written
// once, in the documentation of its Config or SessionOptions field and in
// its Default constant; this overview names the fields only.
//
// A Client is made once per process and holds what sessions share: the UDP
// sockets, the HTTP client, the WebSocket pool, the connection-ID and DNS
// caches (all inside its transports), the limits on requests in flight, the
// parsed announce URLs and the logger. A Session is one torrent: for each
// tier of announce URLs (each URL with TiersAll) it keeps one worker that
// honours the tracker's intervals, backoff and BEP 31 "retry in" (BEP 15
// retransmits are the UDP transport's), and it streams what it learns as
// typed Events. A worker is a state machine and a timer, never a goroutine:
// the only goroutines are those of announces on the wire, so ten thousand
// idle torrents cost no goroutine stacks (an idle Session/tracker pair is
// about 2 KiB of heap). Regular announces to one tracker endpoint take one
// of Config.MaxAnnouncesPerTracker slots and wait, without a goroutine, in
// the endpoint's queue beyond that: a tracker serving thousands of our
// torrents is announced to at the pace it answers, and a dead one holds
// only its own slots. Event announces (completed, stopped) take no slot.
//
// # Lifecycle
//
//	c, _ := announcer.NewClient(announcer.Config{})
//	s, _ := c.NewSession(torrent, announcer.SessionOptions{Stats: myStats})
//	s.Start(ctx)          // "started" to each tracker in use
//	... events ...        // scheduled announces, no event
//	s.Complete()          // "completed", once, if we downloaded
//	s.Stop(ctx)           // "stopped" to every tracker that knew us
//	c.Close()
//
// Start returns at once; Start with a context that has already ended ends
// the Session at once (Events and Done closed) and returns the context's
// error. The first announce to a tracker sends "started"; later ones send
// nothing until Complete. Complete sends "completed" at once (an event is
// not a re-announce: no min interval holds it) to every tracker that
// acknowledged "started" while we were leeching, the one in use of each
// tier and the standbys alike; a tracker whose announce is on the wire gets
// it as soon as that one is answered. A pending started or completed
// survives failures and forced announces: it is sent by the next announce
// that gets through, or by Stop.
//
// Left 0 after leeching means the download finished, even when Complete
// comes a moment later, while an announce that read the Stats is already
// on its way: an announce whose Stats say Left 0, to a tracker that knows
// us as a leecher and has not acknowledged "completed", carries
// "completed" (as libtorrent sends it when the torrent finishes). A plain
// left=0 announce would make the tracker take us for a seeder and never
// count the download; the "completed" after it would come too late. So
// "completed" reaches each such tracker once, with the first left=0 it
// hears from us. (A tracker that knew us as a leecher of unknown size,
// LeftUnknown, waits for Complete: Left 0 may then only mean the data was
// on disk already.)
//
// Stop ends the workers at once, then, for every tracker in parallel, under
// one deadline (the earlier of Stop's context and Config.StopTimeout):
//
//   - an announce still on the wire is let finish, until half the deadline;
//   - a tracker that acknowledged "started", or may have registered us with
//     that announce (anything but a refusal) or with a started that went
//     unanswered earlier (it timed out: the last UDP resend leaves at the
//     attempt's bound, so it may have arrived), is sent "completed" first if
//     it is owed one, then "stopped" with numwant 0; an unanswered stopped
//     is sent again within the deadline (stopBound), failures are retried;
//   - so a tracker whose announce never finishes is still sent "stopped",
//     half-way through the deadline, and Stop returns by the deadline even
//     when every tracker is dead.
//
// Close ends a Session at once and sends nothing. The end of Start's
// context stops the Session as Stop does (CLI: Ctrl-C, -duration, -once),
// so a stopped is never lost to a cancelled context. Client.Shutdown stops
// every Session in parallel; Client.Close closes them.
//
// # Attempts, retransmits and backoff
//
// Every announce attempt is bounded: Config.UDPAttemptTimeout for UDP,
// Config.AttemptTimeout for HTTP(S) and WebSocket. Inside a UDP attempt
// the transport retransmits on BEP 15's schedule (15 s, then 30 s, 60 s...
// after each send), so the default 45 s bound is two sends. An attempt
// that reaches its bound fails with transport.ErrTimeout and the tracker
// backs off (RetryMin doubling, ±50% jitter, up to RetryMax) before its
// next attempt. Each consecutive failure doubles a UDP tracker's bound
// (45 s, 90 s, 180 s...): a single tracker that keeps failing is given 2,
// 3, 4... sends per attempt, and the whole BEP 15 ladder (9 sends over
// 2 h 08 min) from the eighth failure on, with the backoff between
// attempts. Inside a tier the next tracker does not wait for that: it is
// asked as soon as the one before failed, or has gone Config.FailoverAfter
// (15 s, the first retransmit) unanswered while that one keeps trying.
//
// A transport that reconnects by itself (a WebSocket tracker's socket that
// dropped) fails an announce it cannot send before its bound with
// transport.ErrReconnecting: the tracker then shows StateReconnecting, no
// failure is counted and no ErrorEvent emitted, and it is asked again when
// the transport redials (ReconnectingError.At), the next tracker of its
// tier meanwhile; that announce's reply is an UpdateEvent.
// The first to answer is used and moved to the front; a later answer from
// the other makes it a standby that knows us and is sent "stopped" at the
// end. With [dead, live] in a tier the live tracker's reply arrives 15 s
// after Start.
//
// # What a Session announces
//
// SessionOptions.Stats (or Session.Update) gives the transfer totals. A
// Session told nothing, and a torrent whose size is not known yet (a magnet
// link before its metadata: Stats.Left LeftUnknown), announces as a leecher
// of unknown size: left=16384 over HTTP and WebSocket, 2^64-1 over UDP, the
// values of the JavaScript client; never as a seeder by accident. numwant is
// Config.NumWant (50) unless the Session says otherwise; NumWantNone asks
// for no peers (0 is the default, so "none" has a name), NumWantTracker
// leaves it to the tracker, and stopped always asks for 0. The peer ID is
// the Client's unless SessionOptions.PeerID gives the torrent its own.
// SessionOptions.Params and ParamsFunc (called before each announce) add
// custom parameters, as the JavaScript client's customParam: HTTP appends
// them to the query after the announce's own and the tracker's own query,
// WebSocket merges them into the announce message, UDP cannot carry them
// (BEP 15 has no field) and leaves them out; a name the announce uses
// itself, or that the tracker URL's query has (a passkey), is never
// replaced. UpdateEvent.ExternalIP and TrackerStatus.ExternalIP report the
// address a tracker saw us from (BEP 24 "external ip").
//
// # Changing a running Session
//
// SetTrackers replaces the announce list (libtorrent's replace_trackers):
// URLs that stay keep their state and schedule, removed ones that knew us
// are sent "stopped" in the background, added ones are sent "started" as
// soon as their tier uses them. SetPort changes the announced port and
// re-announces to every tracker in use at once, as a client does when its
// listen port changes. AnnounceTo forces an announce to one tracker (by URL,
// raw or redacted), no sooner than its min interval.
//
// # BEP 52
//
// Torrent.InfoHashV2 carries a v2 info hash. A hybrid torrent (both hashes)
// is announced under its v1 hash and under its v2 hash truncated to 20
// bytes, as libtorrent does: each URL has two trackers in the Session, each
// with its own schedule, "started" and "stopped" (TrackerStatus.InfoHash,
// UpdateEvent.InfoHash and ErrorEvent.InfoHash say which), and a peer that
// both swarms return reaches the consumer once per round of the two
// replies. A v2-only torrent is announced under its truncated v2 hash.
//
// # Scheduling
//
// After a successful announce the next one to that tracker is due after the
// tracker's interval, clamped to [Config.IntervalFloor, Config.IntervalCap].
// Announce and Update force one, never sooner than the
// tracker's min interval (at least IntervalFloor, itself at least 1 s)
// after the last; events (completed, stopped) are not held by it. A failure
// backs off exponentially from Config.RetryMin, doubling, jittered by
// ±50%, up to Config.RetryMax, reset by a success; a BEP 31 "retry
// in" replaces the backoff step. "retry in: never", HTTP 410 and other
// permanent errors give the URL up (ErrorEvent.GaveUp). A tracker skipped
// because this host has no route to its address family
// (transport.ErrSkipped) is not failing: it is tried again much later (the host may gain a route).
//
// # Tiers
//
// By default (TiersParallel) every tier is announced to at once, one tracker
// in use inside a tier: the URLs are tried in order, the first that answers
// is used and moved to the front of its tier, and the next is tried when
// it fails or after Config.FailoverAfter without an answer (BEP 12 inside
// each tier, see above). TiersStrict follows BEP 12 across
// tiers; TiersAll announces to every URL at once. Duplicate URLs are merged
// and each tier is shuffled once.
//
// # Events
//
// Session.Events delivers PeerEvent, UpdateEvent, ScrapeEvent,
// ScrapeSkippedEvent (a tracker Session.Scrape passed over, and why),
// WarningEvent, ErrorEvent, DroppedEvent and, with
// SessionOptions.StateEvents, a StateEvent each time a tracker's state
// changes, carrying its TrackerStatus (round-trip times included), so a UI
// follows its trackers from events alone. A successful announce gives one
// UpdateEvent, then (when the tracker sent peers) one PeerEvent holding all
// the distinct peers of that reply; a WebRTC peer gives one PeerEvent of its
// own when its data channel opens. The Session never waits for the
// consumer: events wait in a bounded buffer (Config.EventBuffer); while it is
// full the newest are dropped and counted, and a DroppedEvent follows when
// there is room. The channel is closed exactly once, after every goroutine
// of the Session has exited; events still buffered then are delivered for
// up to Config.EventLinger, so a consumer that never reads stalls
// nothing and leaks nothing.
//
// # Network
//
// One setting reaches every transport the Client builds (see
// Config.TransportOptions and transport.Register): Config.UserAgent,
// Config.Proxy (http:// CONNECT, socks5:// for TCP and UDP; UDP trackers
// are skipped with an http:// proxy), Config.LocalAddr (the source of every
// tracker socket), and the Client's DNS cache (Config.LookupHost). A
// tracker whose name has addresses of both families, each routable from
// here, is announced over each (dual-stack: one TrackerStatus row and its
// own schedule per family, the same key and peer ID, stopped on each; see
// dualstack.go and Config.SingleStack, Config.Family). Config.AnnounceIP
// (opt-in) names the address trackers should list us at.
//
// # Secrets
//
// Announce URLs of private trackers carry passkeys. Every URL in an event,
// a TrackerStatus, an error or a log line is redacted (transport.Redact).
package announcer
