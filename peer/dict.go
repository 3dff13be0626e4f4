package peer

import (
	"net/netip"
	"strings"
)

// maxHostLen bounds a hostname from a tracker (RFC 1035: 253 characters).
const maxHostLen = 253

// FromDict builds a Peer from the fields of one BEP 3 dictionary-form peer.
// ip may be IPv4 text, IPv6 text (with or without brackets, with or without a
// zone) or a hostname; peerID may be empty or exactly 20 bytes.
//
// A peer with port 0 returns ok == false and no error: it is dropped, not bad.
func FromDict(ip string, port int64, peerID string) (p Peer, ok bool, err error) {
	if port < 0 || port > 65535 {
		return Peer{}, false, &DictError{Field: "port", Reason: "out of range"}
	}
	if peerID != "" && len(peerID) != len(ID{}) {
		return Peer{}, false, &DictError{Field: "peer id", Reason: "not 20 bytes"}
	}
	if port == 0 {
		return Peer{}, false, nil
	}
	copy(p.ID[:], peerID)
	host := strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
	if addr, perr := netip.ParseAddr(host); perr == nil {
		p.Addr = netip.AddrPortFrom(addr.WithZone("").Unmap(), uint16(port))
		return p, true, nil
	}
	if !validHostname(ip) {
		return Peer{}, false, &DictError{Field: "ip", Reason: "neither an IP address nor a hostname"}
	}
	p.Host = strings.ToLower(ip)
	p.Addr = netip.AddrPortFrom(netip.Addr{}, uint16(port))
	return p, true, nil
}

// validHostname accepts RFC 1123 names: dot-separated labels of letters,
// digits and hyphens, 1-63 characters each, not starting or ending with '-'.
func validHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > maxHostLen {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
