package webrtc

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"github.com/pion/datachannel"
	pion "github.com/pion/webrtc/v4"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// A peerConn is one PeerConnection, made either for one of our offers or to
// answer a relayed offer. It lives until its data channel opens and is
// handed to a subscriber (who then owns it through the dataConn), or until
// OfferTimeout, its torrent's subscribers going away, or Transport.Close.

// dataChannelLabel names the data channel of our offers; WebTorrent peers
// accept any label.
const dataChannelLabel = "webtorrent"

type peerConn struct {
	s        *socket
	infoHash transport.InfoHash
	offering bool    // we made the offer
	offerID  offerID // the offer's id (both sides)
	sdp      string  // our offer's SDP, set before the offer is registered
	pc       *pion.PeerConnection
	timer    *time.Timer // OfferTimeout; stopped when the channel opens

	counted bool // holds one of Transport.pending; under Transport.mu

	mu       sync.Mutex
	remote   peer.ID
	answered bool // our offer got its answer
	opened   bool
	closed   bool

	closeOnce sync.Once
}

// errTooManyPending: Config.MaxPendingConns PeerConnections are already
// waiting for their data channel.
var errTooManyPending = errors.New("webrtc: too many pending peer connections")

// newPeerConn makes a PeerConnection that Transport.Close will close, if
// fewer than Config.MaxPendingConns are pending.
func (s *socket) newPeerConn(h transport.InfoHash, offering bool) (*peerConn, error) {
	t := s.t
	t.mu.Lock()
	switch {
	case t.closed:
		t.mu.Unlock()
		return nil, ErrClosed
	case t.pending >= t.cfg.MaxPendingConns:
		t.mu.Unlock()
		return nil, errTooManyPending
	}
	t.pending++ // reserve the slot while pion works
	t.mu.Unlock()
	pc, err := t.api.NewPeerConnection(pion.Configuration{ICEServers: t.cfg.ICEServers})
	if err != nil {
		t.mu.Lock()
		t.pending--
		t.mu.Unlock()
		return nil, err
	}
	p := &peerConn{s: s, infoHash: h, offering: offering, pc: pc, counted: true}
	t.mu.Lock()
	if t.closed {
		t.pending--
		t.mu.Unlock()
		_ = pc.GracefulClose()
		return nil, ErrClosed
	}
	t.conns[p] = true
	p.timer = time.AfterFunc(t.cfg.OfferTimeout, func() {
		p.mu.Lock()
		opened := p.opened
		p.mu.Unlock()
		if !opened {
			t.goroutine(p.close) // false once closed: Close closes p itself
		}
	})
	t.mu.Unlock()
	pc.OnConnectionStateChange(func(st pion.PeerConnectionState) {
		if st == pion.PeerConnectionStateFailed || st == pion.PeerConnectionStateClosed {
			t.goroutine(p.close) // never close from inside a pion callback
		}
	})
	return p, nil
}

// pending reports whether p is an offer still waiting for its answer.
func (p *peerConn) pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.closed && !p.answered
}

// close closes the PeerConnection and forgets p. It waits for pion's
// goroutines, so it must not run inside a pion callback.
func (p *peerConn) close() {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.timer.Stop()
		s := p.s
		s.mu.Lock()
		if p.offering && s.offers[p.offerID] == p {
			delete(s.offers, p.offerID)
		}
		s.mu.Unlock()
		_ = p.pc.GracefulClose()
		s.t.mu.Lock()
		delete(s.t.conns, p)
		p.releaseLocked()
		s.t.mu.Unlock()
	})
}

// releaseLocked gives back p's pending slot, once: when its channel opens
// or it closes.
func (p *peerConn) releaseLocked() {
	if p.counted {
		p.counted = false
		p.s.t.pending--
	}
}

func closeAll(ps []*peerConn) {
	for _, p := range ps {
		p.close()
	}
}

// gather waits for ICE gathering to finish, so that the SDP is complete:
// WebTorrent trackers relay one offer or answer, there is no trickle.
func (p *peerConn) gather(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.s.t.ctx.Done():
		return ErrClosed
	}
}

// makeOffers makes n offers for h at once and registers them as awaiting an
// answer. It returns the offers it could make.
func (s *socket) makeOffers(ctx context.Context, h transport.InfoHash, self peer.ID, n int) ([]*peerConn, error) {
	ps := make([]*peerConn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { ps[i], errs[i] = s.newOffer(ctx, h) })
	}
	wg.Wait()
	var out []*peerConn
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	return out, errors.Join(errs...)
}

func (s *socket) newOffer(ctx context.Context, h transport.InfoHash) (*peerConn, error) {
	p, err := s.newPeerConn(h, true)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			p.close()
		}
	}()
	if _, err := rand.Read(p.offerID[:]); err != nil {
		return nil, err
	}
	dc, err := p.pc.CreateDataChannel(dataChannelLabel, nil)
	if err != nil {
		return nil, err
	}
	dc.OnOpen(func() { p.onOpen(dc) })
	o, err := p.pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	done := pion.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(o); err != nil {
		return nil, err
	}
	if err := p.gather(ctx, done); err != nil {
		return nil, err
	}
	p.sdp = p.pc.LocalDescription().SDP
	s.mu.Lock()
	s.offers[p.offerID] = p
	s.mu.Unlock()
	ok = true
	return p, nil
}

// onOffer answers an offer the tracker relayed from another peer, if a
// subscriber wants peers of its torrent.
func (s *socket) onOffer(m *message) {
	subscribed := s.t.subscriber(s.key, m.InfoHash) != nil
	s.mu.Lock()
	tor := s.torrents[m.InfoHash]
	ok := tor != nil && subscribed && m.PeerID != tor.req.PeerID && s.answering < maxAnswering
	if ok {
		s.answering++
	}
	s.mu.Unlock()
	if !ok {
		s.t.log.Debug("webrtc: not answering a relayed offer", "tracker", s.redacted, "info_hash", m.InfoHash.String())
		return
	}
	self := tor.req.PeerID
	if !s.t.goroutine(func() { s.answer(m, self) }) {
		s.doneAnswering()
	}
}

func (s *socket) doneAnswering() {
	s.mu.Lock()
	s.answering--
	s.mu.Unlock()
	s.kick()
}

func (s *socket) answer(m *message, self peer.ID) {
	defer s.doneAnswering()
	err := func() error {
		p, err := s.newPeerConn(m.InfoHash, false)
		if err != nil {
			return err
		}
		ok := false
		defer func() {
			if !ok {
				p.close()
			}
		}()
		p.offerID = m.OfferID
		p.remote = m.PeerID
		p.pc.OnDataChannel(func(dc *pion.DataChannel) {
			dc.OnOpen(func() { p.onOpen(dc) })
		})
		if err := p.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: m.Offer}); err != nil {
			return err
		}
		a, err := p.pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		done := pion.GatheringCompletePromise(p.pc)
		if err := p.pc.SetLocalDescription(a); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(s.t.ctx, s.t.cfg.OfferTimeout)
		defer cancel()
		if err := p.gather(ctx, done); err != nil {
			return err
		}
		raw := encodeAnswer(m.InfoHash, self, m.PeerID, m.OfferID, p.pc.LocalDescription().SDP)
		s.enqueue(&request{kind: kindAnswer, infoHash: m.InfoHash, raw: raw})
		ok = true
		return nil
	}()
	if err != nil {
		s.t.log.Debug("webrtc: answering a relayed offer", "tracker", s.redacted, "err", err)
	}
}

// onAnswer completes one of our offers with the answer the tracker relayed.
func (s *socket) onAnswer(m *message) {
	s.mu.Lock()
	p := s.offers[m.OfferID]
	if p != nil && p.infoHash == m.InfoHash {
		delete(s.offers, m.OfferID)
	} else {
		p = nil
	}
	s.mu.Unlock()
	if p == nil {
		s.t.log.Debug("webrtc: answer to an unknown or expired offer", "tracker", s.redacted)
		return
	}
	p.mu.Lock()
	p.remote, p.answered = m.PeerID, true
	p.mu.Unlock()
	s.t.goroutine(func() {
		if err := p.pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeAnswer, SDP: m.Answer}); err != nil {
			s.t.log.Debug("webrtc: bad answer", "tracker", s.redacted, "err", err)
			p.close()
		}
	})
}

// onOpen runs in pion's callback when the data channel opens: it detaches
// the channel and hands it over on one of our goroutines, so that the
// subscriber may close it right away without deadlocking pion.
func (p *peerConn) onOpen(dc *pion.DataChannel) {
	raw, err := dc.DetachWithDeadline()
	t := p.s.t
	if err != nil {
		t.log.Debug("webrtc: detaching data channel", "err", err)
		t.goroutine(p.close)
		return
	}
	t.goroutine(func() { p.deliver(raw) }) // false once closed: Close closes p
}

func (p *peerConn) deliver(raw datachannel.ReadWriteCloserDeadliner) {
	p.mu.Lock()
	if p.closed || p.opened { // a remote may open more channels: one is ours
		p.mu.Unlock()
		_ = raw.Close()
		return
	}
	p.opened = true
	remote := p.remote
	p.mu.Unlock()
	p.timer.Stop()
	t := p.s.t
	t.mu.Lock()
	p.releaseLocked()
	t.mu.Unlock()
	fn := p.s.t.subscriber(p.s.key, p.infoHash)
	if fn == nil {
		_ = raw.Close()
		p.close()
		return
	}
	fn(peer.Peer{ID: remote, Conn: newDataConn(p, raw)})
}
