package mocktracker

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// BEP 15 wire constants, as the tracker sees them.
const (
	udpProtocolID     = 0x41727101980
	udpActionConnect  = 0
	udpActionAnnounce = 1
	udpActionScrape   = 2
	udpActionError    = 3
	udpAnnounceLen    = 98
	udpMaxScrape      = 74
)

// ListenUDP serves UDP (BEP 15) on a new loopback socket at addr
// ("127.0.0.1:0", "[::1]:0") and returns its announce URL,
// udp://127.0.0.1:PORT/announce or udp://[::1]:PORT/announce.
func (t *Tracker) ListenUDP(addr string) (announceURL string, err error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return "", err
	}
	network := "udp4"
	if ap.Addr().Is6() {
		network = "udp6"
	}
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		return "", err
	}
	if err := t.ServeUDP(pc); err != nil {
		pc.Close()
		return "", err
	}
	return "udp://" + pc.LocalAddr().String() + "/announce", nil
}

// ServeUDP serves UDP (BEP 15, BEP 41) on pc, which may be a real socket or
// a memnet conn, until Close; it returns at once. Replies carry peers of
// pc's family only: 6-byte IPv4 peers on an IPv4 socket, 18-byte IPv6 peers
// on an IPv6 one. The Tracker owns pc from now on and closes it.
func (t *Tracker) ServeUDP(pc net.PacketConn) error {
	st := t.udp()
	stop := make(chan struct{})
	if err := t.onClose(func() { close(stop); pc.Close() }); err != nil {
		return err
	}
	v6 := false
	if ua, ok := pc.LocalAddr().(*net.UDPAddr); ok {
		v6 = ua.AddrPort().Addr().Unmap().Is6()
	}
	f := &udpFrontEnd{t: t, st: st, pc: pc, v6: v6, stop: stop}
	t.goroutine(f.serve)
	return nil
}

type udpFrontEnd struct {
	t    *Tracker
	st   *udpState
	pc   net.PacketConn
	v6   bool
	stop chan struct{}
}

func (f *udpFrontEnd) serve() {
	buf := make([]byte, 64<<10)
	for {
		n, addr, err := f.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			select {
			case <-f.stop:
				return
			default:
				continue
			}
		}
		ua, ok := addr.(*net.UDPAddr)
		if !ok {
			continue
		}
		from := ua.AddrPort()
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		f.handle(buf[:n], from)
	}
}

// handle answers one request (or drops it, per the faults).
func (f *udpFrontEnd) handle(b []byte, from netip.AddrPort) {
	st := f.st
	now := f.t.cfg.Now()
	if f.t.cfg.OnArrival != nil && len(b) >= udpAnnounceLen && binary.BigEndian.Uint32(b[8:]) == udpActionAnnounce {
		a := parseUDPAnnounce(b, from, "")
		a.Time = now
		f.t.observeArrival(a)
	}
	st.mu.Lock()
	if len(b) < 16 {
		st.stats.Other++
		st.mu.Unlock()
		return
	}
	action := binary.BigEndian.Uint32(b[8:])
	txid := binary.BigEndian.Uint32(b[12:])
	pkt := UDPPacket{Time: now, Action: action, TxID: txid, From: from}
	switch action {
	case udpActionConnect:
		st.stats.Connect++
	case udpActionAnnounce:
		st.stats.Announce++
		pkt.ConnID = binary.BigEndian.Uint64(b)
	case udpActionScrape:
		st.stats.Scrape++
		pkt.ConnID = binary.BigEndian.Uint64(b)
	default:
		st.stats.Other++
	}
	switch {
	case len(st.faults.DropActions) > 0 && !slices.Contains(st.faults.DropActions, action):
	case st.dropLeft > 0:
		st.dropLeft--
		pkt.Dropped = true
	case st.faults.DropRate > 0 && st.rng.Float64() < st.faults.DropRate:
		pkt.Dropped = true
	}
	if pkt.Dropped {
		st.stats.Dropped++
	}
	if len(st.packets) < maxUDPLog {
		st.packets = append(st.packets, pkt)
	}
	faults := st.faults
	if pkt.Dropped {
		st.mu.Unlock()
		return
	}

	var reply []byte
	var urlData string
	switch action {
	case udpActionConnect:
		if binary.BigEndian.Uint64(b) != udpProtocolID {
			st.mu.Unlock()
			return
		}
		if faults.ConnectErrorText != "" {
			reply = udpError(txid, faults.ConnectErrorText)
			break
		}
		id := st.rng.Uint64() | 1
		st.connIDs[id] = now
		if len(st.connIDs) > 10000 {
			for k, at := range st.connIDs {
				if now.Sub(at) > f.connIDTTL(faults) {
					delete(st.connIDs, k)
				}
			}
		}
		reply = binary.BigEndian.AppendUint32(nil, udpActionConnect)
		reply = binary.BigEndian.AppendUint32(reply, txid)
		reply = binary.BigEndian.AppendUint64(reply, id)
	case udpActionAnnounce, udpActionScrape:
		issued, ok := st.connIDs[pkt.ConnID]
		switch {
		case !ok || now.Sub(issued) >= f.connIDTTL(faults):
			reply = udpError(txid, StaleConnIDText)
		case faults.ErrorText != "":
			reply = udpError(txid, faults.ErrorText)
		case action == udpActionAnnounce && len(b) < udpAnnounceLen:
			st.mu.Unlock()
			return
		case action == udpActionAnnounce:
			var err error
			urlData, err = ParseUDPOptions(b[udpAnnounceLen:])
			if err != nil {
				reply = udpError(txid, "bad BEP 41 options")
				break
			}
			st.lastURLData = urlData
		}
	default:
		st.mu.Unlock()
		return
	}
	st.mu.Unlock()

	if reply == nil {
		switch action {
		case udpActionAnnounce:
			reply = f.announce(b, txid, from, faults, urlData)
		case udpActionScrape:
			reply = f.scrape(b, txid, from)
		}
	}
	f.reply(reply, from, faults)
}

func (f *udpFrontEnd) connIDTTL(faults UDPFaults) time.Duration {
	if faults.ConnIDTTL > 0 {
		return faults.ConnIDTTL
	}
	return defaultConnIDTTL
}

func (f *udpFrontEnd) announce(b []byte, txid uint32, from netip.AddrPort, faults UDPFaults, urlData string) []byte {
	a := parseUDPAnnounce(b, from, urlData)
	if a.Event > transport.EventStopped {
		return udpError(txid, "bad event")
	}
	res := f.t.Announce(a)
	interval := res.Interval
	if faults.Interval > 0 {
		interval = faults.Interval
	}
	reply := binary.BigEndian.AppendUint32(make([]byte, 0, 20+18*len(res.Peers)), udpActionAnnounce)
	reply = binary.BigEndian.AppendUint32(reply, txid)
	reply = binary.BigEndian.AppendUint32(reply, uint32(interval/time.Second))
	reply = binary.BigEndian.AppendUint32(reply, uint32(res.Incomplete))
	reply = binary.BigEndian.AppendUint32(reply, uint32(res.Complete))
	v4, v6 := peer.AppendCompact(nil, nil, res.Peers)
	if f.v6 {
		return append(reply, v6...)
	}
	return append(reply, v4...)
}

// parseUDPAnnounce reads the fields of a 98-byte (or longer) announce;
// urlData is its BEP 41 path and query.
func parseUDPAnnounce(b []byte, from netip.AddrPort, urlData string) Announce {
	a := Announce{Protocol: "udp"}
	a.Downloaded = int64(binary.BigEndian.Uint64(b[56:]))
	a.Uploaded = int64(binary.BigEndian.Uint64(b[72:]))
	if _, query, ok := strings.Cut(urlData, "?"); ok {
		a.Params, _ = url.ParseQuery(query) // keeps what parses
	}
	copy(a.InfoHash[:], b[16:36])
	copy(a.PeerID[:], b[36:56])
	a.Left = int64(binary.BigEndian.Uint64(b[64:]))
	a.Event = transport.Event(binary.BigEndian.Uint32(b[80:]))
	a.Key = binary.BigEndian.Uint32(b[88:])
	a.NumWant = int(int32(binary.BigEndian.Uint32(b[92:])))
	a.Addr = netip.AddrPortFrom(from.Addr(), binary.BigEndian.Uint16(b[96:]))
	return a
}

func (f *udpFrontEnd) scrape(b []byte, txid uint32, from netip.AddrPort) []byte {
	hashes := b[16:]
	n := min(len(hashes)/20, udpMaxScrape)
	asked := make([]transport.InfoHash, n)
	for i := range asked {
		copy(asked[i][:], hashes[i*20:])
	}
	f.t.observeScrape(Scrape{Protocol: "udp", From: from, InfoHashes: asked})
	reply := binary.BigEndian.AppendUint32(make([]byte, 0, 8+12*n), udpActionScrape)
	reply = binary.BigEndian.AppendUint32(reply, txid)
	for i := range n {
		var h transport.InfoHash
		copy(h[:], hashes[i*20:])
		s, _ := f.t.Scrape(h) // unknown: zeros, as UDP trackers answer
		reply = binary.BigEndian.AppendUint32(reply, uint32(s.Complete))
		reply = binary.BigEndian.AppendUint32(reply, uint32(s.Downloaded))
		reply = binary.BigEndian.AppendUint32(reply, uint32(s.Incomplete))
	}
	return reply
}

func udpError(txid uint32, text string) []byte {
	b := binary.BigEndian.AppendUint32(nil, udpActionError)
	b = binary.BigEndian.AppendUint32(b, txid)
	return append(b, text...)
}

// reply sends b to the client, applying the reply faults.
func (f *udpFrontEnd) reply(b []byte, to netip.AddrPort, faults UDPFaults) {
	if faults.WrongTxID && len(b) >= 8 {
		binary.BigEndian.PutUint32(b[4:], binary.BigEndian.Uint32(b[4:])^0x5a5a5a5a)
	}
	if faults.Truncate > 0 && len(b) > faults.Truncate {
		b = b[:faults.Truncate]
	}
	pc := f.pc
	if faults.ReplyFrom != nil {
		pc = faults.ReplyFrom
	}
	dst := net.UDPAddrFromAddrPort(to)
	send := func() {
		for range 1 + max(faults.Duplicate, 0) {
			pc.WriteTo(b, dst)
		}
	}
	if faults.Delay <= 0 {
		send()
		return
	}
	f.t.goroutine(func() {
		tm := time.NewTimer(faults.Delay)
		defer tm.Stop()
		select {
		case <-tm.C:
			send()
		case <-f.stop:
		}
	})
}

// ErrBadOptions is returned by ParseUDPOptions for options that run past
// the end of the packet.
var ErrBadOptions = errors.New("mocktracker: truncated BEP 41 option")

// ParseUDPOptions parses the BEP 41 options that follow the 98 bytes of a
// UDP announce and returns the concatenated URLData. Parsing stops at the
// end-of-options byte (0x0) or the end of the packet; 0x1 is a no-op; every
// other type has a length byte, and unknown types are skipped.
func ParseUDPOptions(b []byte) (string, error) {
	var urlData []byte
	for i := 0; i < len(b); {
		switch typ := b[i]; typ {
		case 0x0:
			return string(urlData), nil
		case 0x1:
			i++
		default:
			if i+1 >= len(b) {
				return "", ErrBadOptions
			}
			n := int(b[i+1])
			if i+2+n > len(b) {
				return "", ErrBadOptions
			}
			if typ == 0x2 {
				urlData = append(urlData, b[i+2:i+2+n]...)
			}
			i += 2 + n
		}
	}
	return string(urlData), nil
}
