package webrtc

import (
	"context"
	"sync"
	"time"

	"github.com/pion/datachannel"
	pion "github.com/pion/webrtc/v4"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// A peerConn is one PeerConnection, made either for one of our offers or to
// answer a relayed offer. The offer manager owns it until its data channel
// opens and is handed to a subscriber (who then owns it through the
// dataConn), or until it closes: OfferTimeout, its torrent's subscribers
// going away, giving way to an answer, or Transport.Close.

// dataChannelLabel names the data channel of our offers; WebTorrent peers
// accept any label.
const dataChannelLabel = "webtorrent"

type peerConn struct {
	s        *socket
	key      subKey    // tracker URL and info hash
	offering bool      // we made the offer
	offerID  offerID   // the offer's id (both sides); set before it is registered
	sdp      string    // our offer's SDP, set before the offer is registered
	created  time.Time // for the offer manager: the oldest offer gives way first
	index    int       // our offer's place in its announce
	pc       *pion.PeerConnection
	timer    *time.Timer // OfferTimeout; stopped when the channel opens

	counted   bool // holds a slot of the budget; guarded by offerManager.mu
	unrelayed bool // the tracker relayed our offer to nobody; guarded by offerManager.mu
	gathering bool // our offer, not registered yet (gathering); guarded by offerManager.mu

	closing chan struct{} // closed when close starts: a gathering offer that gives way stops

	mu       sync.Mutex
	remote   peer.ID
	answered bool // our offer got its answer
	opened   bool
	closed   bool

	closeOnce sync.Once
}

// newPeerConn makes a PeerConnection for torrent h of socket s with a slot
// the caller reserved from the offer manager; on error the slot is given
// back.
//
// id, index and remote are set here, before p is registered with the offer
// manager, which reads them under its own lock from then on.
func newPeerConn(s *socket, h transport.InfoHash, offering bool, id offerID, index int, remote peer.ID) (*peerConn, error) {
	t := s.t
	pc, err := t.engine.newPeerConnection()
	if err != nil {
		t.offers.unreserve(1)
		return nil, err
	}
	p := &peerConn{s: s, key: subKey{s.key, h}, offering: offering, created: time.Now(), pc: pc,
		offerID: id, index: index, remote: remote, closing: make(chan struct{})}
	p.timer = time.AfterFunc(t.cfg.OfferTimeout, func() {
		p.mu.Lock()
		opened := p.opened
		p.mu.Unlock()
		if !opened {
			t.goroutine(p.close) // false once closed: Close closes p itself
		}
	})
	if !t.offers.add(p) {
		p.timer.Stop()
		_ = pc.GracefulClose()
		return nil, ErrClosed
	}
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
		close(p.closing)
		p.timer.Stop()
		_ = p.pc.GracefulClose()
		p.s.t.offers.remove(p)
	})
}

func closeAll(ps []*peerConn) {
	for _, p := range ps {
		p.close()
	}
}

// gather waits for ICE gathering to finish, so that the SDP is complete:
// WebTorrent trackers relay one offer or answer, there is no trickle. It
// returns errGaveWay once p is closing (pion does not promise that closing
// ends the gathering).
func (p *peerConn) gather(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-done:
		return nil
	case <-p.closing:
		return errGaveWay
	case <-ctx.Done():
		return ctx.Err()
	case <-p.s.t.ctx.Done():
		return ErrClosed
	}
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
	t.offers.opened(p)
	fn := t.subscriber(p.key.url, p.key.infoHash)
	if fn == nil {
		_ = raw.Close()
		p.close()
		return
	}
	fn(peer.Peer{ID: remote, Conn: newDataConn(p, raw)})
}
