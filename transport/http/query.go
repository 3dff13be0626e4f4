package http

import (
	"net/url"
	"slices"
	"strconv"

	"github.com/trackerkit/trackerkit/transport"
)

const upperHex = "0123456789ABCDEF"

// appendBytesEscaped percent-encodes raw bytes one by one (not as UTF-8, not
// as hex): the unreserved characters of RFC 3986 stay literal, every other
// byte becomes %XX.
func appendBytesEscaped(dst, b []byte) []byte {
	for _, c := range b {
		if isUnreserved(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

func isUnreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendAnnounceQuery appends the announce parameters, in a fixed order, to
// dst (which holds the tracker's own query, if any, and the separator).
func appendAnnounceQuery(dst []byte, req *transport.AnnounceRequest) []byte {
	dst = append(dst, "info_hash="...)
	dst = appendBytesEscaped(dst, req.InfoHash[:])
	dst = append(dst, "&peer_id="...)
	dst = appendBytesEscaped(dst, req.PeerID[:])
	dst = append(dst, "&port="...)
	dst = strconv.AppendUint(dst, uint64(req.Port), 10)
	dst = append(dst, "&uploaded="...)
	dst = strconv.AppendInt(dst, max(req.Uploaded, 0), 10)
	dst = append(dst, "&downloaded="...)
	dst = strconv.AppendInt(dst, max(req.Downloaded, 0), 10)
	dst = append(dst, "&left="...)
	if req.Left < 0 { // transport.LeftUnknown: a leecher of unknown size
		dst = strconv.AppendInt(dst, leftUnknown, 10)
	} else {
		dst = strconv.AppendInt(dst, req.Left, 10)
	}
	if ev := req.Event.String(); ev != "" {
		dst = append(dst, "&event="...)
		dst = append(dst, ev...)
	}
	dst = append(dst, "&compact=1"...)
	if req.NumWant >= 0 {
		dst = append(dst, "&numwant="...)
		dst = strconv.AppendInt(dst, int64(req.NumWant), 10)
	}
	dst = append(dst, "&key="...)
	k := req.Key
	for shift := 28; shift >= 0; shift -= 4 {
		dst = append(dst, upperHex[(k>>shift)&15])
	}
	if req.TrackerID != "" {
		dst = append(dst, "&trackerid="...)
		dst = appendBytesEscaped(dst, []byte(req.TrackerID))
	}
	if req.IP.IsValid() {
		// BEP 3's ip= only: ipv4=/ipv6= (BEP 7) would announce both
		// families in one request, which dual-stack announcing does with
		// one announce per family instead.
		dst = append(dst, "&ip="...)
		dst = appendBytesEscaped(dst, []byte(req.IP.Unmap().String()))
	}
	return dst
}

// leftUnknown is sent as left for transport.LeftUnknown: what the
// JavaScript client sends when it does not know the size, small enough for
// every tracker's integer parsing and not 0, which would make us a seeder.
const leftUnknown = 16384

// announceParamNames are the parameters appendAnnounceQuery writes: custom
// parameters of the same name are left out.
var announceParamNames = []string{"info_hash", "peer_id", "port", "uploaded", "downloaded",
	"left", "event", "compact", "numwant", "key", "trackerid", "ip"}

// appendCustomParams appends the client's extra parameters after the
// announce's own, names sorted, leaving out the names the announce uses and
// those the tracker's own query (ownQuery, raw) already has: a custom
// parameter never changes the announce or hides a passkey.
func appendCustomParams(dst []byte, params url.Values, ownQuery string) []byte {
	if len(params) == 0 {
		return dst
	}
	own, _ := url.ParseQuery(ownQuery) // best effort: an unparsable pair is kept as it is anyway
	names := make([]string, 0, len(params))
	for name := range params {
		if name != "" && !slices.Contains(announceParamNames, name) && !own.Has(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range params[name] {
			dst = append(dst, '&')
			dst = append(dst, url.QueryEscape(name)...)
			dst = append(dst, '=')
			dst = append(dst, url.QueryEscape(v)...)
		}
	}
	return dst
}

// appendScrapeQuery appends one info_hash parameter per hash.
func appendScrapeQuery(dst []byte, hashes []transport.InfoHash) []byte {
	for i := range hashes {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, "info_hash="...)
		dst = appendBytesEscaped(dst, hashes[i][:])
	}
	return dst
}

// withQuery returns the URL to request: the tracker's URL with its path and
// query kept byte for byte (private trackers hide passkeys there), the
// parameters added after '?' or, when the URL has a query already, after '&'.
// The fragment is never sent.
func withQuery(u *url.URL, appendParams func([]byte) []byte) *url.URL {
	r := *u
	r.Fragment, r.RawFragment, r.ForceQuery = "", "", false
	params := appendParams(make([]byte, 0, 256))
	switch {
	case len(params) == 0:
	case u.RawQuery == "" || u.RawQuery[len(u.RawQuery)-1] == '&':
		r.RawQuery = u.RawQuery + string(params)
	default:
		r.RawQuery = u.RawQuery + "&" + string(params)
	}
	return &r
}
