package udp

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// Wire constants of BEP 15 and BEP 41.
const (
	protocolID = 0x41727101980

	actionConnect  = 0
	actionAnnounce = 1
	actionScrape   = 2
	actionError    = 3

	connectLen        = 16 // connect request and minimum connect reply
	announceLen       = 98 // announce request without BEP 41 options
	announceReplyLen  = 20 // announce reply without peers
	scrapeHeaderLen   = 16 // scrape request before the info hashes
	scrapeReplyHeader = 8
	scrapeEntryLen    = 12
	headerLen         = 8 // action + transaction id, the start of every reply

	optionEnd     = 0x0
	optionNOP     = 0x1
	optionURLData = 0x2
	maxOptionLen  = 255

	// maxScrapeHashes is how many info hashes fit one scrape request: 74, as
	// BEP 15 and the trackers in use (torrust, opentracker) allow.
	maxScrapeHashes = 74
)

// announcePacket is what goes into one announce request.
type announcePacket struct {
	ConnID  uint64
	TxID    uint32
	Req     *transport.AnnounceRequest
	URLData string // BEP 41 path and query; "" sends no options
}

// appendConnect appends a connect request.
func appendConnect(b []byte, txid uint32) []byte {
	b = binary.BigEndian.AppendUint64(b, protocolID)
	b = binary.BigEndian.AppendUint32(b, actionConnect)
	return binary.BigEndian.AppendUint32(b, txid)
}

// appendAnnounce appends an announce request: the 98 bytes of BEP 15, then,
// when URLData is set, BEP 41 URLData options of at most 255 bytes each and
// the end-of-options byte.
func appendAnnounce(b []byte, p announcePacket) []byte {
	r := p.Req
	b = binary.BigEndian.AppendUint64(b, p.ConnID)
	b = binary.BigEndian.AppendUint32(b, actionAnnounce)
	b = binary.BigEndian.AppendUint32(b, p.TxID)
	b = append(b, r.InfoHash[:]...)
	b = append(b, r.PeerID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Downloaded))
	left := uint64(r.Left)
	if r.Left < 0 { // transport.LeftUnknown: a leecher of unknown size, as the JavaScript client sends it
		left = math.MaxUint64
	}
	b = binary.BigEndian.AppendUint64(b, left)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Uploaded))
	b = binary.BigEndian.AppendUint32(b, uint32(r.Event))
	var ip [4]byte // 0: let the tracker use the source address
	if a := r.IP.Unmap(); a.Is4() {
		ip = a.As4() // opt-in announced IP; BEP 15's field is IPv4 only
	}
	b = append(b, ip[:]...)
	b = binary.BigEndian.AppendUint32(b, r.Key)
	b = binary.BigEndian.AppendUint32(b, uint32(r.NumWant))
	b = binary.BigEndian.AppendUint16(b, r.Port)
	return appendURLData(b, p.URLData)
}

// appendURLData appends BEP 41 URLData options for s and the end marker.
func appendURLData(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	for len(s) > 0 {
		n := min(len(s), maxOptionLen)
		b = append(b, optionURLData, byte(n))
		b = append(b, s[:n]...)
		s = s[n:]
	}
	return append(b, optionEnd)
}

// appendURLDataParts appends the URLData options of path and query
// (path + "?" + query when query is set) without building that string. A
// path of "" or "/" with no query sends no options.
func appendURLDataParts(b []byte, path, query string) []byte {
	if query == "" {
		if path == "/" {
			path = ""
		}
		return appendURLData(b, path)
	}
	total := len(path) + 1 + len(query)
	sep := false // whether the '?' has been written
	for total > 0 {
		n := min(total, maxOptionLen)
		total -= n
		b = append(b, optionURLData, byte(n))
		for n > 0 {
			switch {
			case len(path) > 0:
				k := min(n, len(path))
				b, path, n = append(b, path[:k]...), path[k:], n-k
			case !sep:
				b, sep, n = append(b, '?'), true, n-1
			default:
				k := min(n, len(query))
				b, query, n = append(b, query[:k]...), query[k:], n-k
			}
		}
	}
	return append(b, optionEnd)
}

// appendScrape appends a scrape request for hashes (at most 74).
func appendScrape(b []byte, connID uint64, txid uint32, hashes []transport.InfoHash) []byte {
	b = binary.BigEndian.AppendUint64(b, connID)
	b = binary.BigEndian.AppendUint32(b, actionScrape)
	b = binary.BigEndian.AppendUint32(b, txid)
	for i := range hashes {
		b = append(b, hashes[i][:]...)
	}
	return b
}

// header reads the action and transaction id that start every reply; ok is
// false for a datagram too short to carry them.
func header(b []byte) (action, txid uint32, ok bool) {
	if len(b) < headerLen {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), true
}

// parseConnectReply returns the connection id of a connect reply (action 0).
func parseConnectReply(b []byte) (uint64, error) {
	if len(b) < connectLen {
		return 0, &TruncatedError{Action: "connect", Len: len(b), Min: connectLen}
	}
	return binary.BigEndian.Uint64(b[8:]), nil
}

// parseAnnounceReply parses an announce reply (action 1). v6 says whether the
// tracker was reached over IPv6: peers are then 18 bytes (BEP 15), else 6 —
// unless ipv4RecordsOverIPv6 recognizes 6-byte records sent over IPv6.
func parseAnnounceReply(b []byte, v6 bool) (*transport.AnnounceResponse, error) {
	if len(b) < announceReplyLen {
		return nil, &TruncatedError{Action: "announce", Len: len(b), Min: announceReplyLen}
	}
	interval := int32(binary.BigEndian.Uint32(b[8:]))
	leechers := int32(binary.BigEndian.Uint32(b[12:]))
	seeders := int32(binary.BigEndian.Uint32(b[16:]))
	if interval < 0 || leechers < 0 || seeders < 0 {
		return nil, &transport.MalformedError{What: fmt.Sprintf("negative interval or count (%d, %d, %d)", interval, leechers, seeders)}
	}
	decode := peer.DecodeCompactIPv4
	if v6 && !ipv4RecordsOverIPv6(b[announceReplyLen:]) {
		decode = peer.DecodeCompactIPv6
	}
	peers, err := decode(nil, b[announceReplyLen:])
	if err != nil {
		return nil, &transport.MalformedError{What: "peers", Err: err}
	}
	return &transport.AnnounceResponse{
		Interval:   secondsToDuration(interval),
		Complete:   int(seeders),
		Incomplete: int(leechers),
		Peers:      peers,
	}, nil
}

// parseScrapeReply parses a scrape reply (action 2) for n requested hashes.
// Entries are seeders, completed, leechers (BEP 15's order, not announce's).
// A reply with fewer entries than asked for leaves the rest out (unknown);
// extra entries are ignored.
func parseScrapeReply(b []byte, n int) ([]transport.ScrapeStats, error) {
	if len(b) < scrapeReplyHeader {
		return nil, &TruncatedError{Action: "scrape", Len: len(b), Min: scrapeReplyHeader}
	}
	body := b[scrapeReplyHeader:]
	if len(body)%scrapeEntryLen != 0 {
		return nil, &transport.MalformedError{What: fmt.Sprintf("scrape reply body of %d bytes is not a multiple of 12", len(body))}
	}
	n = min(n, len(body)/scrapeEntryLen)
	out := make([]transport.ScrapeStats, n)
	for i := range out {
		e := body[i*scrapeEntryLen:]
		seeders := int32(binary.BigEndian.Uint32(e))
		completed := int32(binary.BigEndian.Uint32(e[4:]))
		leechers := int32(binary.BigEndian.Uint32(e[8:]))
		if seeders < 0 || completed < 0 || leechers < 0 {
			return nil, &transport.MalformedError{What: "negative count in scrape reply"}
		}
		out[i] = transport.ScrapeStats{Complete: int(seeders), Downloaded: int(completed), Incomplete: int(leechers)}
	}
	return out, nil
}

// parseErrorReply returns the message of an error reply (action 3): the text
// to the end of the packet, with one trailing NUL removed if present.
func parseErrorReply(b []byte) string {
	if len(b) < headerLen {
		return ""
	}
	msg := b[headerLen:]
	if n := len(msg); n > 0 && msg[n-1] == 0 {
		msg = msg[:n-1]
	}
	return string(msg)
}

// ipv4RecordsOverIPv6 reports whether the peer list of a reply that came over
// IPv6 holds 6-byte IPv4 records instead of BEP 15's 18-byte ones, as
// bittorrent-tracker (the JS server, 11.x) sends: it writes its IPv4 peers
// whatever the socket's family. That is certain when the length is a
// multiple of 6 but not of 18. When it is a multiple of both, the list is
// read as IPv4 only if some 18-byte record holds an address no IPv6 peer
// has (outside 2000::/3, fc00::/7, fe80::/10, ::1 and ::ffff:0:0/96): IPv4
// records read as IPv6 almost always give one (127.0.0.1 reads as 7f00::).
func ipv4RecordsOverIPv6(b []byte) bool {
	if len(b)%peer.CompactIPv4Size != 0 {
		return false
	}
	if len(b)%peer.CompactIPv6Size != 0 {
		return true
	}
	for ; len(b) > 0; b = b[peer.CompactIPv6Size:] {
		if !plausibleIPv6Peer(netip.AddrFrom16([16]byte(b[:16]))) {
			return true
		}
	}
	return false
}

func plausibleIPv6Peer(a netip.Addr) bool {
	hi := a.As16()[0]
	return hi&0xe0 == 0x20 || // 2000::/3 global unicast
		hi&0xfe == 0xfc || // fc00::/7 unique local
		a.IsLinkLocalUnicast() || a.IsLoopback() || a.Is4In6()
}
