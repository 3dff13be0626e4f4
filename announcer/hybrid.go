package announcer

import (
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// This file is BEP 52's hybrid torrents: one Session announced under two
// info hashes, the v1 hash and the truncated v2 hash, as libtorrent does.
//
// Each usable URL becomes two trackers, one per hash, twins of each other:
// each has its own schedule, events and "started"/"stopped" (the tracker
// keeps two swarms), and its own worker, so a slow v2 announce never holds
// the v1 one back. The twins share the interned URL, hence the host limit.
// A peer that is in both swarms comes in both replies: a reply leaves out
// the peers its twin delivered since this tracker's own previous reply, so
// each peer reaches the consumer once per round of the pair, however the
// two replies interleave. WebRTC peers that a WebTorrent tracker introduces
// asynchronously are connections made for one swarm: they are not deduped.

// addHash makes a twin of every usable tracker announcing hash, and the
// workers for them grouped as the originals are (same tier order, same
// shuffle). The twins follow their originals in s.trackers.
func (s *Session) addHash(hash transport.InfoHash) {
	twins := make(map[*tracker]*tracker)
	all := make([]*tracker, 0, 2*len(s.trackers))
	for _, t := range s.trackers {
		if t.InfoHash == hash {
			continue // a twin kept by SetTrackers: placed after its original below
		}
		all = append(all, t)
		if t.tr == nil {
			continue // unusable: reported once
		}
		c := t.twin // kept by SetTrackers
		if c == nil {
			c = newTracker(t.key, t.url, t.tr, t.Tier, hash)
			c.twin = t
			t.twin = c
		}
		c.Tier = t.Tier
		twins[t] = c
		all = append(all, c)
	}
	s.trackers = all
	for _, w := range s.workers[:len(s.workers):len(s.workers)] {
		tiers := make([][]*tracker, len(w.tiers))
		for i, tier := range w.tiers {
			for _, t := range tier {
				tiers[i] = append(tiers[i], twins[t])
			}
		}
		s.workers = append(s.workers, newWorker(s, tiers))
	}
}

// notFromTwin returns peers without those t's twin delivered since t's own
// previous reply, closing their connections, and records what t delivers.
// It is the identity for trackers without a twin.
func (s *Session) notFromTwin(t *tracker, peers []peer.Peer, now time.Time) []peer.Peer {
	if t.twin == nil {
		return peers
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tw := t.twin
	if tw.deliveredAt.After(t.deliveredAt) && len(tw.delivered) > 0 {
		var kept []peer.Peer
		for i := range peers {
			if _, dup := tw.delivered[keyOf(&peers[i])]; dup {
				if peers[i].Conn != nil {
					peers[i].Conn.Close()
				}
				if kept == nil {
					kept = append(make([]peer.Peer, 0, len(peers)), peers[:i]...)
				}
				continue
			}
			if kept != nil {
				kept = append(kept, peers[i])
			}
		}
		if kept != nil {
			peers = kept
		}
	}
	t.delivered = make(map[peerKey]struct{}, len(peers))
	for i := range peers {
		t.delivered[keyOf(&peers[i])] = struct{}{}
	}
	t.deliveredAt = now
	return peers
}
