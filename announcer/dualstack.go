package announcer

import (
	"context"
	"net/netip"

	"github.com/trackerkit/trackerkit/transport"
)

// This file is dual-stack announcing, as libtorrent does with its listen
// addresses: a tracker whose hostname has addresses of both families, each
// routable from this host, is announced over each family, with the same key
// and peer ID, so that the tracker knows both addresses are one peer and
// lists us to the peers of both families.
//
// Which families a URL has is known only once its name is resolved, so a
// tracker starts as one (family FamilyAny). Before its first announce it
// asks its transport (transport.Families; the shared DNS cache makes this
// the lookup the announce needs anyway). With two families it keeps the
// first and gains a sibling for the second: a tracker of its own, on its
// own worker, with its own schedule, state, events ("started", "stopped")
// and TrackerStatus row, distinguished by Family. The sibling retries its
// tracker on its own schedule; it does not fail over inside the tier (the
// first family's tracker does, as before). Peers that both families'
// replies carry are delivered by each.
//
// It is off with Config.SingleStack, with Config.Family set (every
// announce is forced to that family), through a proxy (the proxy picks the
// family: the transports say FamilyAny), and for transports that do not
// implement transport.Families. A tracker announced once (FamilyAny) still
// falls back between its addresses within a few seconds (see the
// transports' fallback).

// familiesTimeout bounds the look at a URL's families.
const familiesTimeout = transport.DefaultDNSTimeout

// familyOf returns the family t's announces are forced to.
func (s *Session) familyOf(t *tracker) transport.Family {
	if t.Family != transport.FamilyAny {
		return t.Family
	}
	return s.c.cfg.Family
}

// splitFamilies runs before a's announce: the first time for a's tracker,
// it looks at the URL's families and, with two, forces the tracker to the
// first and starts a sibling tracker for the second.
func (s *Session) splitFamilies(ctx context.Context, a *attempt) {
	t := a.t
	s.mu.Lock()
	done := t.familyDone || a.w == nil || s.life != lifeRunning
	t.familyDone = true
	s.mu.Unlock()
	cfg := &s.c.cfg
	if done || cfg.SingleStack || cfg.Family != transport.FamilyAny {
		return
	}
	if _, err := netip.ParseAddr(t.url.u.Hostname()); err == nil {
		return // an address literal has one family: nothing to look up
	}
	fs, ok := t.tr.(transport.Families)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, familiesTimeout)
	fams, err := fs.Families(ctx, t.url.u)
	cancel()
	if err != nil || len(fams) < 2 {
		return // the announce says what is wrong, or there is one family to use
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.life != lifeRunning {
		return
	}
	t.Family = fams[0]
	for _, f := range fams[1:] {
		c := newTracker(t.key, t.url, t.tr, t.Tier, t.InfoHash)
		c.Family, c.familyDone, c.origin = f, true, t
		s.trackers = append(s.trackers, c)
		w := newWorker(s, [][]*tracker{{c}})
		s.workers = append(s.workers, w)
		w.start()
	}
	s.c.log.Debug("dual-stack: one tracker per family", "tracker", t.url.redacted, "families", len(fams))
}
