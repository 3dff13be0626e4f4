package webrtc

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"

	pion "github.com/pion/webrtc/v4"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// This file is the socket's side of WebRTC signalling: making our offers,
// answering the offers the tracker relays from other peers, and completing
// our offers with the answers it relays back. The PeerConnections belong to
// the Transport's offer manager (offers.go).

// maxAnswering bounds the relayed offers being answered at once on one
// socket: protection against a tracker flooding us with offers, not a
// throttle (the tracker relays one offer per torrent and peer, and an
// answer takes milliseconds on a host). The budget of pending connections
// (Config.MaxPendingConns) still bounds what the answers hold.
const maxAnswering = 256

// wantOffers is how many offers an announce of req should carry: none for
// stopped, completed, numwant 0 or a torrent nobody subscribed to, else
// Config.NumOffers within NumWant.
func (s *socket) wantOffers(req *transport.AnnounceRequest) int {
	if req.Event == transport.EventStopped || req.Event == transport.EventCompleted {
		return 0
	}
	if s.t.subscriber(s.key, req.InfoHash) == nil {
		return 0
	}
	n := s.t.cfg.NumOffers
	if req.NumWant >= 0 {
		n = min(n, int(req.NumWant))
	}
	return n
}

// makeOffers makes up to want offers for h, as many as the offer manager
// grants, at once, and registers them as awaiting an answer. It returns the
// offers it could make.
func (s *socket) makeOffers(ctx context.Context, h transport.InfoHash, want int) ([]*peerConn, error) {
	n, displaced := s.t.offers.reserveOffers(subKey{s.key, h}, want)
	for _, p := range displaced {
		s.t.goroutine(p.close)
	}
	if n == 0 {
		return nil, nil
	}
	ps := make([]*peerConn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { ps[i], errs[i] = s.newOffer(ctx, h, i) })
	}
	wg.Wait()
	var out []*peerConn
	for i, p := range ps {
		if p != nil {
			out = append(out, p)
		}
		if errors.Is(errs[i], errGaveWay) {
			errs[i] = nil // another torrent's announce took its slot: not a failure
		}
	}
	return out, errors.Join(errs...)
}

// newOffer makes offer number i of an announce, with a slot reserved for
// it.
func (s *socket) newOffer(ctx context.Context, h transport.InfoHash, i int) (*peerConn, error) {
	var id offerID
	if _, err := rand.Read(id[:]); err != nil {
		s.t.offers.unreserve(1)
		return nil, err
	}
	p, err := newPeerConn(s, h, true, id, i, peer.ID{})
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			p.close()
		}
	}()
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
	if !s.t.offers.register(p) {
		return nil, errGaveWay
	}
	ok = true
	return p, nil
}

// errGaveWay: an offer was closed while it was being made (it gave way to
// another torrent's announce, or the Transport closed).
var errGaveWay = errors.New("webrtc: offer closed while it was made")

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
		s.t.counters.offersRefused.Add(1)
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

// answer answers the relayed offer m as self. It takes precedence over our
// own offers: when the budget is full, our oldest unanswered offer gives way.
func (s *socket) answer(m *message, self peer.ID) {
	defer s.doneAnswering()
	err := func() error {
		ok, displaced := s.t.offers.reserveAnswer(subKey{s.key, m.InfoHash})
		if displaced != nil {
			displaced.close()
		}
		if !ok {
			return errTooManyPending
		}
		p, err := newPeerConn(s, m.InfoHash, false, m.OfferID, 0, m.PeerID)
		if err != nil {
			return err
		}
		ok = false
		defer func() {
			if !ok {
				p.close()
			}
		}()
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
		s.t.counters.offersAnswered.Add(1)
		ok = true
		return nil
	}()
	if err != nil {
		s.t.log.Debug("webrtc: answering a relayed offer", "tracker", s.redacted, "err", err)
	}
}

// errTooManyPending: every slot of Config.MaxPendingConns is held by
// answers and answered offers.
var errTooManyPending = errors.New("webrtc: too many pending peer connections")

// onAnswer completes one of our offers with the answer the tracker relayed.
func (s *socket) onAnswer(m *message) {
	p := s.t.offers.answered(subKey{s.key, m.InfoHash}, m.OfferID)
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
