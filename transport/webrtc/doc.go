// Package webrtc speaks to WebTorrent trackers: it announces over WebSocket
// (ws:// and wss://) and connects to the browser peers those trackers
// introduce over WebRTC data channels, as the JavaScript bittorrent-tracker
// client does.
//
// A Transport implements transport.Transport (Announce, Scrape) and
// transport.PeerSource (Subscribe). It keeps one WebSocket per tracker URL,
// shared by every torrent announced through it and demultiplexed by info
// hash. Announce carries up to Config.NumOffers complete WebRTC offers (ICE
// gathering finished, no trickle) for torrents someone subscribed to, and
// returns the tracker's reply: interval, min interval, counts, tracker id,
// warning. The tracker relays the offers to other peers; their answers come
// back on the socket at any time, as do offers relayed from other peers,
// which the Transport answers. When a data channel opens, the subscriber of
// (URL, info hash) receives a peer.Peer whose ID is the remote peer ID and
// whose Conn is the open data channel as a byte stream: the subscriber owns
// it and must close it. Peers for an info hash nobody subscribed to are not
// sought, and offers relayed for it are not answered.
//
// An announce message carries the request's Params (custom parameters)
// merged in, names sorted, one value as a JSON string, several as an array
// of strings; a name the message uses itself (action, info_hash, left, ...)
// is left out. An announce of unknown size (transport.LeftUnknown) sends
// left 16384, as over HTTP.
//
// # Lifecycle
//
// A socket opens on the first Announce or Scrape and closes once no torrent
// is announced through it (every one sent EventStopped) and no call is in
// flight; subscriptions live on without it. When it drops, it reconnects
// after min(ReconnectMin*2^n, ReconnectMax) plus a random wait of up to
// ReconnectJitter (defaults in the Config field docs; n
// counts failed attempts since the last good connection), and then
// re-announces every torrent the tracker listed when it dropped (whose last
// announce through it succeeded, or failed after one that had: its caller
// knows it is announced and owes a stopped), with event "started" (closing
// a socket counts as "stopped" for all its torrents, so the tracker forgot
// them) and fresh offers; never one whose caller stopped it, that the
// tracker refused with a failure, or whose every announce failed (its
// caller may end without a stopped: its next announce registers it, and
// gets the reply). Announces and
// scrapes made while it is down are queued and sent on reconnection, when
// that comes before the call's deadline (Config.AnnounceTimeout or its
// context). When the next dial comes later (with the default 10 s plus up
// to 5 min of jitter it usually does), a call fails at once with a
// *transport.ReconnectingError (errors.Is transport.ErrReconnecting) whose
// At says when the socket redials: for a torrent the tracker listed the
// announce stays as its re-announce, and a caller that asks again at At
// waits on that re-announce instead of sending another (announcer Sessions show the
// tracker as StateReconnecting meanwhile, not failing). An EventStopped
// announce removes the torrent from the re-announce set and closes its
// unanswered offers; made while the socket is down, it succeeds at once,
// since the tracker already forgot the torrent. A frame that is not an
// announce reply (a bare null, {}, an action without reply fields) never
// takes the place of a pending announce's reply. A handshake refused for good (HTTP 410) or impossible
// from this host (no route for the address family, transport.ErrSkipped)
// fails the waiting calls at once and empties the re-announce set.
//
// Offers that are not answered, and connections whose data channel does not
// open, within Config.OfferTimeout are closed. At most
// Config.MaxPendingConns such connections exist at once, across all
// torrents, owned by one offer manager: answers to relayed offers come
// first (our oldest unanswered offer gives way to one), our offers are
// shared fairly across torrents and a torrent left without one is served
// first next time (see Config.MaxPendingConns). Close closes every socket
// and every PeerConnection, including data channels already handed out,
// and waits for every goroutine.
//
// A pending offer is cheap: the PeerConnections of a Transport share one
// webrtc.API without media engine or RTP interceptors (data channels need
// none), one DTLS certificate, and one list of network interfaces, so an
// offer costs its ICE agent, DTLS and SCTP state: about 12 KB of heap,
// 3 goroutines and one UDP socket (docs/performance.md has the figures).
//
// Keepalive pings are off by default (Config.KeepAlive): some trackers drop
// clients that ping, and the announces keep a socket busy anyway.
//
// # ICE servers: STUN and TURN
//
// By default no ICE server is configured: only host candidates are
// gathered (loopback included), which is enough between peers on one host
// or one LAN and needs no network beyond them. Config.LoopbackOnly goes
// further and keeps all traffic on the host: it gathers 127.0.0.1 only
// (its documentation says why not ::1), for tests and demos.
//
// Browsers on the Internet sit behind NATs. A STUN server lets each side
// learn its public address (server-reflexive candidates) and is enough for
// most NATs; a TURN server relays the traffic when both sides are behind
// symmetric NATs or firewalls that block UDP. WebTorrent clients commonly use
// public STUN servers; TURN servers need credentials:
//
//	tr := webrtc.New(webrtc.Config{
//		ICEServers: []pion.ICEServer{
//			{URLs: []string{"stun:stun.example.org:3478"}},
//			{
//				URLs:       []string{"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"},
//				Username:   "user",
//				Credential: "secret",
//			},
//		},
//	})
//
// (pion is github.com/pion/webrtc/v4.) Gathering against STUN and TURN
// servers takes time, which Announce spends before sending, bounded by its
// context. TURN credentials are secrets: they never appear in logs.
//
// # Wire format
//
// Messages are JSON text frames. The binary fields info_hash, peer_id,
// to_peer_id and offer_id are 20-character strings, one character per byte
// (U+0000..U+00FF); decoding rejects anything else with a *FieldError, which
// wraps transport.ErrMalformed. A tracker's failure reason, with or without
// an "action", fails the oldest request it can answer with a
// *transport.FailureError. A reply that does not parse but still names its
// action or info hash fails that request with an error wrapping
// transport.ErrMalformed; other messages that do not parse are logged and
// ignored, as the JavaScript client does. Messages above
// Config.MaxMessageBytes drop the socket.
//
// Data channel messages are at most 64 KiB when received (advertised as
// a=max-message-size) and 16 KiB when sent; Conn hides them behind a
// stream: Read and Write take buffers of any size. Write blocks while earlier
// data is still unsent (backpressure, not an unbounded queue), and Conn has
// SetDeadline, SetReadDeadline and SetWriteDeadline like a net.Conn (assert
// an interface to reach them).
package webrtc
