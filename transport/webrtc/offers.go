package webrtc

import (
	"sync"
	"time"
)

// The offer manager is the one owner of a Transport's PeerConnections from
// the moment one is made until it closes, and of the budget they share.
//
// The budget is Config.MaxPendingConns slots. A PeerConnection holds a slot
// until its data channel opens (then it belongs to the subscriber) or it
// closes: our offers, answered or not, and our answers to relayed offers.
// A slot is reserved before the PeerConnection is made, so that pion's work
// never runs over the budget.
//
// Who gets a slot, in this order of precedence:
//
//  1. Answering a relayed offer is how two peers meet: someone is waiting
//     on the other side. It takes a free slot, or, when there is none, the
//     slot of our oldest unanswered offer, which is closed (it gives way).
//     Only answers and answered offers are never displaced.
//  2. A torrent whose last announce carried no offer ("starved") comes
//     first in the next round: the last free slots are kept for the starved
//     torrents, and when none is free a starved torrent takes the slot of
//     the oldest unanswered offer of another torrent, provided that offer
//     has had minOfferAge to be answered.
//  3. Every other announce gets its fair share: the budget divided by the
//     torrents that want offers, at least one and at most what it asks
//     (Config.NumOffers within NumWant). Free slots go first; then the
//     oldest unanswered offers of torrents holding more than that share
//     (they announced when fewer torrents wanted offers) give way, and
//     for the announce's first offer those of any torrent holding two or
//     more (it keeps one): answers hold slots too, and an announce that
//     carries no offer cannot meet the peers already in the swarm. Offers
//     still gathering ICE candidates count and give way like the others
//     (their gathering stops, and their announce carries one fewer).
//
// So with more torrents than slots, offers go round: those left out of one
// round are served first in the next, and an announce never waits for a
// slot.
type offerManager struct {
	budget int

	mu      sync.Mutex
	closed  bool
	conns   map[*peerConn]struct{} // every live PeerConnection, pending or open
	pending int                    // slots held or reserved
	offers  map[offerKey]*peerConn // our offers awaiting their answer
	wanting map[subKey]struct{}    // torrents subscribed to, or announced with a subscriber, not stopped
	starved map[subKey]struct{}    // torrents whose last announce got no slot
}

// minOfferAge is how long an unanswered offer has to be answered before a
// starved torrent's offer may take its slot: a relayed answer normally comes
// back within a second or two.
const minOfferAge = 10 * time.Second

// offerKey identifies one of our offers: its socket (tracker URL) and id.
type offerKey struct {
	socket string
	id     offerID
}

func newOfferManager(budget int) *offerManager {
	return &offerManager{
		budget:  budget,
		conns:   make(map[*peerConn]struct{}),
		offers:  make(map[offerKey]*peerConn),
		wanting: make(map[subKey]struct{}),
		starved: make(map[subKey]struct{}),
	}
}

// reserveOffers reserves slots for up to want offers of torrent k and
// returns how many it got, and the offers that gave way for them: the
// caller closes those.
func (m *offerManager) reserveOffers(k subKey, want int) (n int, displaced []*peerConn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || want <= 0 {
		return 0, nil
	}
	m.wanting[k] = struct{}{}
	share := min(want, max(1, m.budget/len(m.wanting)))
	free := m.budget - m.pending
	_, starved := m.starved[k]
	if !starved {
		free -= len(m.starved) // kept for the torrents left out last round
	}
	n = min(max(free, 0), share)
	if n < share {
		// Torrents holding more unanswered offers than a fair share now
		// (more torrents want offers than when they announced) give way:
		// the one holding most first, and of its offers the last of its
		// announce, which the tracker relays to a peer last (offer i goes
		// to the i-th peer it picks), so the offers most likely being
		// answered stay. The first offer of an announce may also come from
		// any torrent holding two or more: answers to relayed offers hold
		// slots too, so the budget can be full while every torrent holds
		// no more than its share, and an announce with no offer cannot meet
		// a peer already in the swarm (the tracker relays offers only as
		// they come, and that peer's went to nobody) until the next
		// interval.
		// Offers still gathering count and may give way too: right after
		// many torrents start, most slots are held by them.
		var cands []*peerConn
		for _, p := range m.offers {
			cands = append(cands, p)
		}
		for p := range m.conns {
			if p.gathering && p.counted {
				cands = append(cands, p)
			}
		}
		held := make(map[subKey]int)
		for _, p := range cands {
			held[p.key]++
		}
		for n < share {
			limit := share
			if n == 0 {
				limit = 1
			}
			var p *peerConn
			for _, o := range cands {
				if !o.counted || o.key == k || held[o.key] <= limit {
					continue
				}
				if p == nil || o.unrelayed && !p.unrelayed || o.unrelayed == p.unrelayed &&
					(held[o.key] > held[p.key] || held[o.key] == held[p.key] && o.index > p.index) {
					p = o
				}
			}
			if p == nil {
				break
			}
			held[p.key]--
			m.displaceLocked(p)
			displaced = append(displaced, p)
			n++
		}
	}
	if n == 0 && starved {
		now := time.Now()
		p := m.oldestOfferLocked(func(p *peerConn) bool { return p.key != k && now.Sub(p.created) >= minOfferAge })
		if p != nil {
			m.displaceLocked(p)
			displaced, n = append(displaced, p), 1
		}
	}
	m.pending += n - len(displaced) // a displaced offer's slot is handed over
	if n == 0 {
		m.starved[k] = struct{}{}
	} else {
		delete(m.starved, k)
	}
	return n, displaced
}

// want records that torrent k wants offers (someone subscribed to it), so
// that fair shares count it before its first announce: when many torrents
// start at once, the first to announce do not take the whole budget.
func (m *offerManager) want(k subKey) {
	m.mu.Lock()
	m.wanting[k] = struct{}{}
	m.mu.Unlock()
}

// reserveAnswer reserves a slot to answer a relayed offer of torrent k,
// displacing our oldest unanswered offer when none is free (the caller
// closes it): one the tracker relayed to nobody if there is one, else one
// of another torrent (the peer answering our offer of k may be the one
// whose offer we answer), else any. It reports false when every slot is
// held by answers or answered offers.
func (m *offerManager) reserveAnswer(k subKey) (ok bool, displaced *peerConn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false, nil
	}
	if m.pending < m.budget {
		m.pending++
		return true, nil
	}
	p := m.oldestOfferLocked(func(p *peerConn) bool { return p.key != k || p.unrelayed })
	if p == nil {
		p = m.oldestOfferLocked(func(*peerConn) bool { return true })
	}
	if p == nil {
		return false, nil
	}
	m.displaceLocked(p) // its slot is ours now
	return true, p
}

// unreserve gives back n reserved slots that were not used.
func (m *offerManager) unreserve(n int) {
	m.mu.Lock()
	m.pending -= n
	m.mu.Unlock()
}

// oldestOfferLocked returns the oldest of our unanswered offers that ok
// accepts, nil if none. Offers the tracker cannot have relayed to anyone
// (see unrelayed) come first: closing them loses nothing, where closing a
// relayed one may break a connection a peer is answering.
func (m *offerManager) oldestOfferLocked(ok func(*peerConn) bool) *peerConn {
	var oldest *peerConn
	for _, p := range m.offers {
		if !ok(p) {
			continue
		}
		if oldest == nil || p.unrelayed && !oldest.unrelayed ||
			p.unrelayed == oldest.unrelayed && p.created.Before(oldest.created) {
			oldest = p
		}
	}
	return oldest
}

// unrelayed marks the offers of an announce that the tracker cannot have
// relayed: it relays offer i to the i-th other peer it picks, so with
// others peers in the swarm besides us (as its reply counts them), offers
// from index others on went to nobody.
func (m *offerManager) unrelayed(offers []*peerConn, others int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range offers {
		if p.index >= others {
			p.unrelayed = true
		}
	}
}

// displaceLocked takes p out of the offers awaiting an answer and moves its
// slot to the caller; p is then closed by the caller.
func (m *offerManager) displaceLocked(p *peerConn) {
	delete(m.offers, offerKey{p.key.url, p.offerID})
	p.counted, p.gathering = false, false
}

// add records p, made with a reserved slot, as live; it reports false (and
// gives the slot back) once the Transport is closed.
func (m *offerManager) add(p *peerConn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		m.pending--
		return false
	}
	m.conns[p] = struct{}{}
	p.counted = true
	p.gathering = p.offering
	return true
}

// register makes our gathered offer p answerable; false if p was closed
// or displaced meanwhile.
func (m *offerManager) register(p *peerConn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	p.gathering = false
	if _, live := m.conns[p]; !live || !p.counted {
		return false
	}
	m.offers[offerKey{p.key.url, p.offerID}] = p
	return true
}

// answered takes our offer id on socket out of the offers awaiting an
// answer and returns it; nil if there is none for torrent k.
func (m *offerManager) answered(k subKey, id offerID) *peerConn {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := offerKey{k.url, id}
	p := m.offers[key]
	if p == nil || p.key != k {
		return nil
	}
	delete(m.offers, key)
	return p
}

// opened gives back p's slot: its data channel opened.
func (m *offerManager) opened(p *peerConn) {
	m.mu.Lock()
	m.releaseLocked(p)
	m.mu.Unlock()
}

// remove forgets p, which is closing, and gives back its slot.
func (m *offerManager) remove(p *peerConn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.conns, p)
	if key := (offerKey{p.key.url, p.offerID}); m.offers[key] == p {
		delete(m.offers, key)
	}
	m.releaseLocked(p)
}

func (m *offerManager) releaseLocked(p *peerConn) {
	if p.counted {
		p.counted = false
		m.pending--
	}
}

// forget ends torrent k's claim to offers (it stopped, or its last
// subscriber left) and returns its unanswered offers, for the caller to
// close.
func (m *offerManager) forget(k subKey) []*peerConn {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.wanting, k)
	delete(m.starved, k)
	var out []*peerConn
	for _, p := range m.offers {
		if p.key == k {
			out = append(out, p)
		}
	}
	return out
}

// close marks the manager closed and returns every live PeerConnection.
func (m *offerManager) close() []*peerConn {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	out := make([]*peerConn, 0, len(m.conns))
	for p := range m.conns {
		out = append(out, p)
	}
	return out
}

// live is the number of live PeerConnections (tests).
func (m *offerManager) live() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.conns)
}
