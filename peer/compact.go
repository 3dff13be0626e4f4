package peer

import (
	"encoding/binary"
	"net/netip"
)

// Record sizes of the compact forms.
const (
	CompactIPv4Size = 6  // 4-byte address + big-endian port (BEP 23)
	CompactIPv6Size = 18 // 16-byte address + big-endian port (BEP 7)
)

// DecodeCompactIPv4 parses a BEP 23 compact peer string. Peers with port 0 are
// dropped. The result is appended to dst, which may be nil.
func DecodeCompactIPv4(dst []Peer, b []byte) ([]Peer, error) {
	return decodeCompact(dst, b, CompactIPv4Size)
}

// DecodeCompactIPv6 parses a BEP 7 "peers6" string. Peers with port 0 are
// dropped. The result is appended to dst, which may be nil.
func DecodeCompactIPv6(dst []Peer, b []byte) ([]Peer, error) {
	return decodeCompact(dst, b, CompactIPv6Size)
}

func decodeCompact(dst []Peer, b []byte, size int) ([]Peer, error) {
	if len(b)%size != 0 {
		return dst, &LengthError{Len: len(b), RecordSize: size}
	}
	if dst == nil {
		dst = make([]Peer, 0, len(b)/size)
	}
	for ; len(b) > 0; b = b[size:] {
		port := binary.BigEndian.Uint16(b[size-2 : size])
		if port == 0 {
			continue
		}
		var addr netip.Addr
		if size == CompactIPv4Size {
			addr = netip.AddrFrom4([4]byte(b[:4]))
		} else {
			// An IPv4-mapped address in peers6 is still an IPv4 peer.
			addr = netip.AddrFrom16([16]byte(b[:16])).Unmap()
		}
		dst = append(dst, Peer{Addr: netip.AddrPortFrom(addr, port)})
	}
	return dst, nil
}

// AppendCompact appends the compact form of the peers to two buffers: IPv4
// peers to v4 (6 bytes each) and IPv6 peers to v6 (18 bytes each). Peers
// without an IP address (hostnames, WebRTC) or with port 0 are skipped.
func AppendCompact(v4, v6 []byte, peers []Peer) (newV4, newV6 []byte) {
	for _, p := range peers {
		a := p.Addr.Addr()
		if !a.IsValid() || p.Host != "" || p.Addr.Port() == 0 {
			continue
		}
		if a.Is4() || a.Is4In6() {
			v4 = append(v4, a.Unmap().AsSlice()...)
			v4 = binary.BigEndian.AppendUint16(v4, p.Addr.Port())
		} else {
			v6 = append(v6, a.AsSlice()...)
			v6 = binary.BigEndian.AppendUint16(v6, p.Addr.Port())
		}
	}
	return v4, v6
}
