package http

import (
	"math"
	"net/netip"
	"time"
	"unicode/utf8"

	"github.com/trackerkit/trackerkit/internal/bencode"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// SyntaxError is a reply that is not valid bencode. It is the Err of the
// *transport.MalformedError the parsers return.
type SyntaxError = bencode.SyntaxError

// MaxPeersPerReply bounds the peers taken from one announce reply (compact
// and dictionary forms together); the rest are dropped. A 1 MiB reply could
// otherwise list 174,000 compact or 30,000 dictionary peers, each becoming
// an event; no tracker sends more than a few hundred (numwant), and a UDP
// datagram holds at most 10,917.
const MaxPeersPerReply = 12000

// Upper bounds for durations a tracker sends, so that multiplying by the
// unit cannot overflow time.Duration.
const (
	maxSeconds = math.MaxInt64 / int64(time.Second)
	maxMinutes = math.MaxInt64 / int64(time.Minute)
)

// announceFields holds the value of each announce reply key we use. A key
// sent twice keeps its last value.
type announceFields struct {
	failure, retryIn, interval, minInterval, complete, incomplete bencode.Value
	trackerID, warning, externalIP, peers, peers6                 bencode.Value
}

// field is where the value of one key of a reply dictionary goes.
type field struct {
	key string
	dst *bencode.Value
}

// collect stores the value of each field's key in the dictionary d into
// its dst, in one pass over d: a key sent twice keeps its last value, and
// the dst of an absent key stays the zero Value (Kind Invalid).
func collect(d bencode.Value, fields []field) {
	for key, val := range d.Entries() {
		for _, f := range fields {
			if string(key) == f.key {
				*f.dst = val
				break
			}
		}
	}
}

// replyOptions is how replies are read: leniently (leading zeros and
// repeated keys are forgiven), with trailing whitespace tolerated (some PHP
// trackers end replies with a newline).
var replyOptions = bencode.Options{TrailingSpace: true}

// topDict decodes a reply that must be one dictionary.
func topDict(b []byte) (bencode.Value, error) {
	v, err := bencode.Decode(b, replyOptions)
	if err != nil {
		return v, &transport.MalformedError{What: "invalid bencode", Err: err}
	}
	if v.Kind() != bencode.Dict {
		return v, &transport.MalformedError{What: "invalid bencode", Err: &SyntaxError{Offset: 0, What: "the reply is not a dictionary"}}
	}
	return v, nil
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
	top, err := topDict(b)
	if err != nil {
		return nil, err
	}
	var f announceFields
	collect(top, []field{
		{"failure reason", &f.failure},
		{"retry in", &f.retryIn},
		{"interval", &f.interval},
		{"min interval", &f.minInterval},
		{"complete", &f.complete},
		{"incomplete", &f.incomplete},
		{"tracker id", &f.trackerID},
		{"warning message", &f.warning},
		{"external ip", &f.externalIP},
		{"peers", &f.peers},
		{"peers6", &f.peers6},
	})
	if f.failure.Kind() != bencode.Invalid {
		return nil, failureError(f.failure, f.retryIn)
	}

	r := &transport.AnnounceResponse{Complete: -1, Incomplete: -1}
	if f.interval.Kind() == bencode.Invalid {
		return nil, &transport.MalformedError{What: "interval missing"}
	}
	var ok bool
	if r.Interval, ok = seconds(f.interval); !ok {
		return nil, &transport.MalformedError{What: "interval is not an integer"}
	}
	r.MinInterval, _ = seconds(f.minInterval)
	r.Complete = count(f.complete)
	r.Incomplete = count(f.incomplete)
	if s, ok := f.trackerID.Bytes(); ok {
		r.TrackerID = string(s)
	}
	if s, ok := f.warning.Bytes(); ok {
		r.Warning = string(s)
	}
	if s, ok := f.externalIP.Bytes(); ok {
		r.ExternalIP = externalIP(s)
	}

	if r.Peers, err = parsePeers(f.peers, f.peers6); err != nil {
		return nil, err
	}
	return r, nil
}

// seconds reads a duration in seconds, clamped to what a time.Duration
// holds: negative is 0 and 2^63 or more is the largest, so that the
// announcer's floor and cap decide (an absurd interval is the cap, not a
// malformed reply retried 15 s later). ok is false when v is not an integer.
func seconds(v bencode.Value) (time.Duration, bool) {
	n, isInt, _ := v.IntSaturated()
	if !isInt {
		return 0, false
	}
	return time.Duration(min(max(n, 0), maxSeconds)) * time.Second, true
}

// count reads an optional swarm count: -1 (unknown) when absent, of the
// wrong type, negative or beyond int.
func count(v bencode.Value) int {
	n, ok := v.Int()
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
func failureError(reason, retryIn bencode.Value) error {
	s, ok := reason.Bytes()
	if !ok {
		return &transport.MalformedError{What: "failure reason is not a string"}
	}
	fe := &transport.FailureError{Reason: string(s)}
	minutes, ok := retryIn.Int()
	if !ok { // some trackers send the number as a string
		if t, isStr := retryIn.Bytes(); isStr {
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
func parsePeers(v4, v6 bencode.Value) ([]peer.Peer, error) {
	var c4, c6 []byte
	var isList bool
	switch v4.Kind() {
	case bencode.Invalid:
	case bencode.List:
		isList = true
	default:
		s, ok := v4.Bytes()
		if !ok {
			return nil, &transport.MalformedError{What: "peers is neither a string nor a list"}
		}
		c4 = s
	}
	if v6.Kind() != bencode.Invalid {
		s, ok := v6.Bytes()
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
	// Past MaxPeersPerReply the rest is dropped: trim the compact strings
	// to whole records within what is left.
	var out []peer.Peer
	if isList {
		out = dictPeers(v4, len(c6)/peer.CompactIPv6Size)
	}
	c4 = c4[:min(len(c4), (MaxPeersPerReply-len(out))*peer.CompactIPv4Size)]
	c6 = c6[:min(len(c6), max(MaxPeersPerReply-len(out)-len(c4)/peer.CompactIPv4Size, 0)*peer.CompactIPv6Size)]
	if n := len(c4)/peer.CompactIPv4Size + len(c6)/peer.CompactIPv6Size; out == nil && n > 0 {
		out = make([]peer.Peer, 0, n)
	}
	out, _ = peer.DecodeCompactIPv4(out, c4) // lengths checked above
	out, _ = peer.DecodeCompactIPv6(out, c6)
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// dictPeers decodes a BEP 3 list of peer dictionaries (at most
// MaxPeersPerReply), leaving room for extra more peers. A dictionary peer
// that cannot be used (no ip or port, a field of the wrong type, an ip that
// is neither an address nor a hostname, a peer id that is not 20 bytes) is
// skipped: one bad entry should not cost the other peers of the reply.
func dictPeers(list bencode.Value, extra int) []peer.Peer {
	out := make([]peer.Peer, 0, min(list.Len(), MaxPeersPerReply)+min(extra, MaxPeersPerReply))
	for item := range list.Items() {
		if len(out) == MaxPeersPerReply {
			break
		}
		var ip, id []byte
		var port int64
		var hasIP, hasPort, bad bool
		if item.Kind() != bencode.Dict {
			continue
		}
		for key, val := range item.Entries() {
			var ok bool
			switch string(key) {
			case "ip":
				ip, ok = val.Bytes()
				hasIP, bad = true, bad || !ok
			case "port":
				port, ok = val.Int()
				hasPort, bad = true, bad || !ok
			case "peer id":
				id, ok = val.Bytes()
				bad = bad || !ok
			}
		}
		if bad || !hasIP || !hasPort {
			continue
		}
		if p, ok, err := peer.FromDict(string(ip), port, string(id)); ok && err == nil {
			out = append(out, p)
		}
	}
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
	top, err := topDict(b)
	if err != nil {
		return nil, err
	}
	var failure, retryIn, files bencode.Value
	collect(top, []field{{"failure reason", &failure}, {"retry in", &retryIn}, {"files", &files}})
	if failure.Kind() != bencode.Invalid {
		return nil, failureError(failure, retryIn)
	}
	if files.Kind() == bencode.Invalid {
		return nil, &transport.MalformedError{What: "files missing"}
	}
	if files.Kind() != bencode.Dict {
		return nil, &transport.MalformedError{What: "files is not a dictionary"}
	}
	r := &transport.ScrapeResponse{Files: make(map[transport.InfoHash]transport.ScrapeStats)}
	for key, val := range files.Entries() {
		h, ok := scrapeKey(key)
		if !ok || val.Kind() != bencode.Dict {
			continue
		}
		var complete, incomplete, downloaded bencode.Value
		collect(val, []field{{"complete", &complete}, {"incomplete", &incomplete}, {"downloaded", &downloaded}})
		r.Files[h] = transport.ScrapeStats{Complete: count(complete), Incomplete: count(incomplete), Downloaded: count(downloaded)}
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
