package transport

import (
	"encoding/hex"
	"errors"
	"net/netip"
	"net/url"
	"time"

	"github.com/trackerkit/trackerkit/peer"
)

// InfoHash is the 20-byte SHA-1 of a torrent's info dictionary.
type InfoHash [20]byte

// String returns the info hash in lowercase hex.
func (h InfoHash) String() string { return hex.EncodeToString(h[:]) }

// ParseInfoHash parses 40 hexadecimal characters.
func ParseInfoHash(s string) (InfoHash, error) {
	var h InfoHash
	err := decodeHex(h[:], s, "transport: info hash must be 40 hex characters")
	return h, err
}

// decodeHex decodes s, exactly 2*len(dst) hexadecimal characters, into
// dst; anything else is the error msg.
func decodeHex(dst []byte, s, msg string) error {
	if len(s) != 2*len(dst) {
		return errors.New(msg)
	}
	if _, err := hex.Decode(dst, []byte(s)); err != nil {
		return errors.New(msg)
	}
	return nil
}

// InfoHashV2 is the 32-byte SHA-256 of a BitTorrent v2 torrent's info
// dictionary (BEP 52). Trackers know a v2 torrent by its first 20 bytes
// (Truncated), in the same 20-byte fields as a v1 hash.
type InfoHashV2 [32]byte

// String returns the v2 info hash in lowercase hex (64 characters).
func (h InfoHashV2) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zeros (no v2 hash).
func (h InfoHashV2) IsZero() bool { return h == InfoHashV2{} }

// Truncated returns the first 20 bytes: what BEP 52 announces to trackers.
func (h InfoHashV2) Truncated() InfoHash { return InfoHash(h[:20]) }

// ParseInfoHashV2 parses 64 hexadecimal characters.
func ParseInfoHashV2(s string) (InfoHashV2, error) {
	var h InfoHashV2
	err := decodeHex(h[:], s, "transport: v2 info hash must be 64 hex characters")
	return h, err
}

// Event is the announce event. The values are those of BEP 15 on the wire.
type Event uint8

const (
	EventNone      Event = 0 // a regular, scheduled announce
	EventCompleted Event = 1 // the download finished during this session
	EventStarted   Event = 2 // the first announce to a tracker
	EventStopped   Event = 3 // the client is leaving the swarm
)

// String returns the HTTP wire name: "", "completed", "started" or "stopped".
func (e Event) String() string {
	switch e {
	case EventCompleted:
		return "completed"
	case EventStarted:
		return "started"
	case EventStopped:
		return "stopped"
	default:
		return ""
	}
}

// NumWantDefault asks the tracker for its default number of peers.
const NumWantDefault = -1

// LeftUnknown is AnnounceRequest.Left when the size of the torrent is not
// known (a magnet link before its metadata arrived): the client is a leecher
// that cannot say how much it lacks. Each transport puts what trackers read
// as "a leecher" on the wire, as the JavaScript client does: 16384 over
// HTTP and WebSocket, 2^64-1 over UDP. Any negative Left means the same.
const LeftUnknown = -1

// AnnounceRequest is one announce, in the terms every protocol shares.
type AnnounceRequest struct {
	InfoHash   InfoHash
	PeerID     peer.ID
	Port       uint16
	Uploaded   int64
	Downloaded int64
	// Left is the number of bytes still to download, 0 for a seeder, or
	// LeftUnknown (any negative value) when the size is not known yet.
	Left  int64
	Event Event
	// NumWant is the number of peers wanted; NumWantDefault (-1) leaves it to
	// the tracker. 0 asks for none (used with EventStopped).
	NumWant int32
	// Key is random, fixed for the torrent's whole session and the same on
	// IPv4 and IPv6, so a tracker can tell us apart when our address changes.
	Key uint32
	// TrackerID echoes the "tracker id" this tracker sent earlier, if any.
	TrackerID string
	// Family, when not FamilyAny, restricts the announce to the tracker's
	// addresses of that family (dual-stack announcing, see Families). A
	// transport that cannot force a family ignores it.
	Family Family
	// IP, when valid, is the address we ask the tracker to list us at
	// (HTTP "ip=", UDP's IPv4 ip field). Off by default: BEP 7 discourages
	// it, the tracker sees where the announce came from.
	IP netip.Addr
	// Params are extra parameters chosen by the client (a private
	// tracker's custom fields). HTTP adds them to the query after the
	// announce's own; WebSocket merges them into the announce message, one
	// value as a string, several as an array of strings; UDP has no field
	// for them (BEP 15) and leaves them out. A name the protocol uses
	// itself (info_hash, left, ...) or that the tracker's URL already
	// carries in its query (a passkey) is left out: the announce's own
	// fields and the tracker's query always win.
	Params url.Values
}

// AnnounceResponse is what a tracker answered to an announce.
//
// Counts a protocol does not carry are -1 (unknown), never a made-up zero.
type AnnounceResponse struct {
	Interval    time.Duration // required by every protocol
	MinInterval time.Duration // 0 when not sent
	Complete    int           // seeders, -1 when not sent
	Incomplete  int           // leechers, -1 when not sent
	Peers       []peer.Peer
	ExternalIP  netip.Addr // BEP 24, zero when not sent
	TrackerID   string     // "tracker id", to be echoed on later announces
	Warning     string     // "warning message": show it, the reply is still good
	// Offers is how many WebRTC offers the announce carried, and
	// OffersWanted how many it should have carried (the configured number,
	// within NumWant); fewer means the transport's budget of pending
	// connections was short. Both 0 for protocols without offers.
	Offers, OffersWanted int
}

// ScrapeRequest asks for the swarm statistics of one or more torrents. How
// many hashes fit one request is the transport's business: see MaxScrapeBatch.
type ScrapeRequest struct {
	InfoHashes []InfoHash
}

// ScrapeStats are one torrent's swarm statistics.
type ScrapeStats struct {
	Complete   int // seeders
	Incomplete int // leechers
	Downloaded int // times completed; -1 when not sent
}

// ScrapeResponse maps each info hash the tracker knows to its statistics. A
// hash that was asked for and is absent is unknown to the tracker.
type ScrapeResponse struct {
	Files map[InfoHash]ScrapeStats
}
