package http

import (
	"math"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Upper bounds for durations a tracker sends, so that multiplying by the
// unit cannot overflow time.Duration.
const (
	maxSeconds = math.MaxInt64 / int64(time.Second)
	maxMinutes = math.MaxInt64 / int64(time.Minute)
)

// announceFields holds the encoded value of each announce reply key we use.
// A key sent twice keeps its last value.
type announceFields struct {
	failure, retryIn, interval, minInterval, complete, incomplete []byte
	trackerID, warning, externalIP, peers, peers6                 []byte
}

// ParseAnnounce decodes the body of an HTTP announce reply (BEP 3, 7, 23, 24,
// 31). It reads only b, never panics, and allocates in proportion to len(b).
//
// Errors: a reply with a "failure reason" is a *transport.FailureError, even
// if other fields are wrong; anything else that does not follow the protocol
// is a *transport.MalformedError (wrapping a *SyntaxError for broken bencode
// and a *peer.LengthError for a compact peer string of the wrong length).
// See the package documentation for how each field is treated.
func ParseAnnounce(b []byte) (*transport.AnnounceResponse, error) {
	var f announceFields
	err := topDict(b, func(key, val []byte) {
		switch string(key) {
		case "failure reason":
			f.failure = val
		case "retry in":
			f.retryIn = val
		case "interval":
			f.interval = val
		case "min interval":
			f.minInterval = val
		case "complete":
			f.complete = val
		case "incomplete":
			f.incomplete = val
		case "tracker id":
			f.trackerID = val
		case "warning message":
			f.warning = val
		case "external ip":
			f.externalIP = val
		case "peers":
			f.peers = val
		case "peers6":
			f.peers6 = val
		}
	})
	if err != nil {
		return nil, &transport.MalformedError{What: "invalid bencode", Err: err}
	}
	if f.failure != nil {
		return nil, failureError(f.failure, f.retryIn)
	}

	r := &transport.AnnounceResponse{Complete: -1, Incomplete: -1}
	if f.interval == nil {
		return nil, &transport.MalformedError{What: "interval missing"}
	}
	iv, ok := asInt(f.interval)
	if !ok || iv < 0 || iv > maxSeconds {
		return nil, &transport.MalformedError{What: "interval is not a non-negative number of seconds"}
	}
	r.Interval = time.Duration(iv) * time.Second
	if v, ok := asInt(f.minInterval); ok && v >= 0 && v <= maxSeconds {
		r.MinInterval = time.Duration(v) * time.Second
	}
	r.Complete = count(f.complete)
	r.Incomplete = count(f.incomplete)
	if s, ok := asString(f.trackerID); ok {
		r.TrackerID = string(s)
	}
	if s, ok := asString(f.warning); ok {
		r.Warning = string(s)
	}
	if s, ok := asString(f.externalIP); ok {
		r.ExternalIP = externalIP(s)
	}

	if r.Peers, err = parsePeers(f.peers, f.peers6); err != nil {
		return nil, err
	}
	return r, nil
}

// count reads an optional swarm count: -1 (unknown) when absent, of the
// wrong type, negative or beyond int.
func count(v []byte) int {
	n, ok := asInt(v)
	if !ok || n < 0 || n > math.MaxInt32 {
		return -1
	}
	return int(n)
}

// externalIP decodes BEP 24 "external ip": 4 or 16 raw bytes. Some trackers
// send the address as text instead; that is accepted when it parses. Any
// other value is ignored: the field is advice, not worth failing a reply.
func externalIP(s []byte) netip.Addr {
	switch len(s) {
	case 4:
		return netip.AddrFrom4([4]byte(s))
	case 16:
		return netip.AddrFrom16([16]byte(s)).Unmap()
	}
	if a, err := netip.ParseAddr(string(s)); err == nil && a.Zone() == "" {
		return a.Unmap()
	}
	return netip.Addr{}
}

// failureError builds the FailureError of a reply with a failure reason.
// A "retry in" that is neither a positive number of minutes nor "never" is
// ignored: the failure itself is what matters.
func failureError(reason, retryIn []byte) error {
	s, ok := asString(reason)
	if !ok {
		return &transport.MalformedError{What: "failure reason is not a string"}
	}
	fe := &transport.FailureError{Reason: string(s)}
	minutes, ok := asInt(retryIn)
	if !ok { // some trackers send the number as a string
		if t, isStr := asString(retryIn); isStr {
			if string(t) == "never" {
				fe.RetryNever = true
				return fe
			}
			minutes, ok = decimal(t)
		}
	}
	if ok && minutes > 0 && minutes <= maxMinutes {
		fe.RetryIn = time.Duration(minutes) * time.Minute
	}
	return fe
}

// decimal parses a short unsigned decimal string.
func decimal(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parsePeers decodes "peers" (compact string or list of dictionaries) and
// "peers6" (compact string) into one slice.
func parsePeers(v4, v6 []byte) ([]peer.Peer, error) {
	var c4, c6 []byte
	var isList bool
	switch {
	case v4 == nil:
	case v4[0] == 'l':
		isList = true
	default:
		s, ok := asString(v4)
		if !ok {
			return nil, &transport.MalformedError{What: "peers is neither a string nor a list"}
		}
		c4 = s
	}
	if v6 != nil {
		s, ok := asString(v6)
		if !ok {
			return nil, &transport.MalformedError{What: "peers6 is not a string"}
		}
		c6 = s
	}
	if len(c4)%peer.CompactIPv4Size != 0 {
		return nil, &transport.MalformedError{What: "peers", Err: &peer.LengthError{Len: len(c4), RecordSize: peer.CompactIPv4Size}}
	}
	if len(c6)%peer.CompactIPv6Size != 0 {
		return nil, &transport.MalformedError{What: "peers6", Err: &peer.LengthError{Len: len(c6), RecordSize: peer.CompactIPv6Size}}
	}
	n := len(c4)/peer.CompactIPv4Size + len(c6)/peer.CompactIPv6Size
	var out []peer.Peer
	if isList {
		out = dictPeers(v4, n)
	} else if n > 0 {
		out = make([]peer.Peer, 0, n)
	}
	out, _ = peer.DecodeCompactIPv4(out, c4) // lengths checked above
	out, _ = peer.DecodeCompactIPv6(out, c6)
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// dictPeers decodes a BEP 3 list of peer dictionaries, leaving room for
// extra more peers. A dictionary peer that cannot be used (no ip or port,
// a field of the wrong type, an ip that is neither an address nor a
// hostname, a peer id that is not 20 bytes) is skipped: one bad entry should
// not cost the other peers of the reply.
func dictPeers(list []byte, extra int) []peer.Peer {
	items := 0
	eachListItem(list, func([]byte) { items++ })
	out := make([]peer.Peer, 0, items+extra)
	eachListItem(list, func(item []byte) {
		var ip, id []byte
		var port int64
		var hasIP, hasPort, bad bool
		if !eachDictField(item, func(key, val []byte) {
			var ok bool
			switch string(key) {
			case "ip":
				ip, ok = asString(val)
				hasIP, bad = true, bad || !ok
			case "port":
				port, ok = asInt(val)
				hasPort, bad = true, bad || !ok
			case "peer id":
				id, ok = asString(val)
				bad = bad || !ok
			}
		}) || bad || !hasIP || !hasPort {
			return
		}
		if p, ok, err := peer.FromDict(string(ip), port, string(id)); ok && err == nil {
			out = append(out, p)
		}
	})
	return out
}

// ParseScrape decodes the body of an HTTP scrape reply (BEP 48). Like
// ParseAnnounce it never panics and allocates in proportion to len(b).
//
// "files" is required (it may be empty). Entries whose key is not an info
// hash (see scrapeKey) or whose value is not a dictionary are skipped; a count that is
// absent, negative or of the wrong type is -1. A "failure reason" is a
// *transport.FailureError.
func ParseScrape(b []byte) (*transport.ScrapeResponse, error) {
	var failure, retryIn, files []byte
	err := topDict(b, func(key, val []byte) {
		switch string(key) {
		case "failure reason":
			failure = val
		case "retry in":
			retryIn = val
		case "files":
			files = val
		}
	})
	if err != nil {
		return nil, &transport.MalformedError{What: "invalid bencode", Err: err}
	}
	if failure != nil {
		return nil, failureError(failure, retryIn)
	}
	if files == nil {
		return nil, &transport.MalformedError{What: "files missing"}
	}
	r := &transport.ScrapeResponse{Files: make(map[transport.InfoHash]transport.ScrapeStats)}
	if !eachDictField(files, func(key, val []byte) {
		h, ok := scrapeKey(key)
		if !ok {
			return
		}
		st := transport.ScrapeStats{Complete: -1, Incomplete: -1, Downloaded: -1}
		if !eachDictField(val, func(k, v []byte) {
			switch string(k) {
			case "complete":
				st.Complete = count(v)
			case "incomplete":
				st.Incomplete = count(v)
			case "downloaded":
				st.Downloaded = count(v)
			}
		}) {
			return
		}
		r.Files[h] = st
	}) {
		return nil, &transport.MalformedError{What: "files is not a dictionary"}
	}
	return r, nil
}

// scrapeKey returns the info hash a "files" key stands for. A key is the raw
// 20 bytes; but bittorrent-tracker (the JS server, 11.x) writes the hash as a
// JS string whose characters are the bytes, UTF-8 encoded, so each byte from
// 0x80 up arrives as two. A key that is valid UTF-8 of exactly 20 characters,
// none above U+00FF, is read back the way the JS client reads it.
func scrapeKey(key []byte) (transport.InfoHash, bool) {
	var h transport.InfoHash
	if len(key) == len(h) {
		return transport.InfoHash(key), true
	}
	if len(key) > 2*len(h) || !utf8.Valid(key) {
		return h, false
	}
	i := 0
	for _, r := range string(key) {
		if i == len(h) || r > 0xff {
			return h, false
		}
		h[i] = byte(r)
		i++
	}
	return h, i == len(h)
}
