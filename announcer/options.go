package announcer

import (
	"net/url"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Torrent is what a Session announces: the info hash and the announce URLs.
//
// A v1 torrent sets InfoHash; a v2-only torrent (BEP 52) sets InfoHashV2
// only and is announced by its truncated v2 hash; a hybrid torrent sets
// both and is announced under each, as libtorrent does: every tracker gets
// two announces, each with its own schedule and its own TrackerStatus row
// (TrackerStatus.InfoHash says which), and the peers of both swarms reach
// the one Session.
type Torrent struct {
	// InfoHash is the v1 info hash (SHA-1); zero for a v2-only torrent.
	InfoHash transport.InfoHash
	// InfoHashV2 is the v2 info hash (SHA-256) of a v2-only or hybrid
	// torrent; zero for a v1 torrent.
	InfoHashV2 transport.InfoHashV2
	// Tiers is the torrent's announce-list (BEP 12): tiers of announce
	// URLs, most preferred tier first. A torrent with only "announce" has
	// one tier of one URL. Duplicate URLs are merged (the first occurrence
	// is kept) and empty tiers are dropped.
	Tiers [][]string
}

// Stats are the transfer totals reported to trackers, in bytes.
type Stats struct {
	Uploaded   int64
	Downloaded int64
	// Left is what remains to download; 0 means a seeder. LeftUnknown
	// (any negative value) says the size is not known yet, as for a
	// magnet link before its metadata: the Session announces as a leecher
	// of unknown size (see LeftUnknown for the wire values).
	Left int64
}

// LeftUnknown is Stats.Left for a torrent whose size is not known yet. It is
// announced as a leecher: left=16384 over HTTP and WebSocket, 2^64-1 over
// UDP, the values the JavaScript client sends (transport.LeftUnknown). It is
// also what a Session reports before the first Update when
// SessionOptions.Stats is nil: a Session that was told nothing is a
// leecher of unknown size, never a seeder by accident.
const LeftUnknown = transport.LeftUnknown

// TierMode says how a Session uses the tiers of its announce list.
type TierMode uint8

const (
	// TiersParallel (the default) announces to every tier at once, to one
	// tracker at a time inside each tier: the first that answers is used
	// and moved to the front of its tier; on failure the next one of the
	// tier is tried. This is what most clients do today: peers are found
	// sooner than with strict BEP 12.
	TiersParallel TierMode = iota
	// TiersStrict follows BEP 12 to the letter: one tracker at a time for
	// the whole torrent, tiers in order; the next tier is tried only after
	// every tracker of the previous ones failed, and each announce starts
	// again from the first tier.
	TiersStrict
	// TiersAll announces to every tracker at once, each on its own.
	TiersAll
)

// String returns "parallel", "strict" or "all".
func (m TierMode) String() string {
	switch m {
	case TiersParallel:
		return "parallel"
	case TiersStrict:
		return "strict"
	case TiersAll:
		return "all"
	}
	return "unknown"
}

// SessionOptions configure one Session. The zero value is valid: every
// field's zero value means the default written in its documentation.
type SessionOptions struct {
	// Stats returns the transfer totals to report; it is called before
	// each announce, from the Session's goroutines (possibly several at
	// once), so it must be fast and safe for concurrent use. Default
	// (nil): the totals last given to Session.Update, initially zero bytes
	// up and down and Left LeftUnknown (a leecher of unknown size).
	Stats func() Stats

	// PeerID is this torrent's peer ID. Default (zero): Config.PeerID,
	// the Client's. Clients that use one peer ID per torrent (as
	// libtorrent can) set it here.
	PeerID peer.ID

	// Params are extra announce parameters sent with every announce of
	// this torrent (a private tracker's custom fields, as the JavaScript
	// client's customParam). HTTP adds them to the query after the
	// announce's own parameters and the tracker's own query; WebSocket
	// merges them into the announce message. UDP cannot carry them (BEP
	// 15 has no field for them) and leaves them out. Names the protocol
	// uses itself (info_hash, left, ...) or that the tracker's URL already
	// has in its query (a passkey) are left out: they never change the
	// announce. Default (nil): none. Do not modify the map after
	// NewSession.
	Params url.Values

	// ParamsFunc, when set, is called before each announce (like the
	// JavaScript client's getAnnounceOpts), from the Session's goroutines,
	// so it must be fast and safe for concurrent use; the values it
	// returns replace those of Params under the same names. It is called
	// for every protocol, including UDP, which does not send them.
	// Default (nil): Params only.
	ParamsFunc func() url.Values

	// Key is sent to every tracker, the same for the whole session (and on
	// IPv4 and IPv6) so a tracker can recognize us when our address
	// changes. Default (0): random, chosen by NewSession.
	Key uint32

	// Port overrides Config.Port for this torrent. Default (0): Config.Port.
	Port uint16

	// NumWant overrides Config.NumWant for this torrent. Default (0):
	// Config.NumWant. NumWantNone: ask for no peers. NumWantTracker (any
	// other negative value): leave it to the tracker.
	NumWant int

	// StateEvents asks for a StateEvent each time a tracker's state
	// changes, carrying its snapshot, so that a UI can follow the trackers
	// without polling Session.Trackers. Default false: none (each announce
	// would add two events, announcing and its outcome, which a headless
	// client of ten thousand torrents need not pay for; libtorrent makes
	// its status alerts opt-in the same way).
	StateEvents bool

	// TierMode chooses how tiers are used. Default TiersParallel.
	TierMode TierMode

	// KeepOrder keeps the URLs of each tier in the given order instead of
	// shuffling each tier once, as BEP 12 asks (for callers that shuffled
	// already, and for tests). Default false: shuffle.
	KeepOrder bool

	// ScrapeInterval, when positive, scrapes the tracker in use of each
	// tier (or of each URL with TiersAll) that often, emitting
	// ScrapeEvents. Default 0: no periodic scrape (Session.Scrape still
	// works). It is raised to Config.IntervalFloor.
	ScrapeInterval time.Duration
}
