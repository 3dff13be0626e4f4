package webrtc

import (
	"testing"
	"time"
)

// offerOf registers a gathered offer of torrent k in m, as newOffer does
// (the slot was reserved by the caller), made age ago.
func offerOf(t *testing.T, m *offerManager, k subKey, index int, age time.Duration) *peerConn {
	t.Helper()
	p := &peerConn{key: k, offering: true, index: index, created: time.Now().Add(-age)}
	p.offerID[0], p.offerID[1], p.offerID[2] = byte(index), k.infoHash[0], byte(len(m.conns))
	if !m.add(p) || !m.register(p) {
		t.Fatal("offer not registered")
	}
	return p
}

// offers reserves want offers for k and registers what it got.
func offers(t *testing.T, m *offerManager, k subKey, want int, age time.Duration) (got int, displaced []*peerConn) {
	t.Helper()
	n, d := m.reserveOffers(k, want)
	for i := range n {
		offerOf(t, m, k, i, age)
	}
	for _, p := range d {
		m.remove(p) // what closing it does
	}
	return n, d
}

func torrentKey(i byte) subKey { return subKey{"ws://t", [20]byte{i}} }

func heldBy(m *offerManager) map[subKey]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[subKey]int{}
	for _, p := range m.offers {
		out[p.key]++
	}
	return out
}

func TestOfferManagerAnswersFirst(t *testing.T) {
	m := newOfferManager(3)
	old := offerOf(t, m, torrentKey(1), 0, time.Minute)
	m.pending++ // offerOf does not reserve
	offerOf(t, m, torrentKey(1), 1, time.Second)
	m.pending++
	offerOf(t, m, torrentKey(2), 0, 0)
	m.pending++
	// Full of our offers: an answer takes the slot of the oldest.
	ok, displaced := m.reserveAnswer(torrentKey(3))
	if !ok || displaced != old {
		t.Fatalf("answer: ok %v, displaced %v", ok, displaced)
	}
	if m.pending != 3 {
		t.Fatalf("pending %d", m.pending)
	}
	// Answers and answered offers are never displaced.
	m.remove(displaced)
	for _, want := range []bool{true, true, false} {
		ok, displaced := m.reserveAnswer(torrentKey(3))
		if ok != want {
			t.Fatalf("answer with %d offers left: ok %v", len(m.offers), ok)
		}
		if displaced != nil {
			displaced.counted = false
		}
	}
}

func TestOfferManagerFairShares(t *testing.T) {
	tests := []struct {
		name    string
		budget  int
		wanting int // torrents subscribed
		want    int // each asks for
		got     []int
	}{
		{"budget for all", 100, 5, 5, []int{5, 5, 5, 5, 5}},
		{"divided", 10, 5, 5, []int{2, 2, 2, 2, 2}},
		{"at least one, while it lasts", 3, 5, 5, []int{1, 1, 1, 0, 0}},
		{"never more than asked", 100, 2, 1, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newOfferManager(tt.budget)
			for i := range tt.wanting {
				m.want(torrentKey(byte(i)))
			}
			for i, want := range tt.got {
				if n, _ := offers(t, m, torrentKey(byte(i)), tt.want, 0); n != want {
					t.Fatalf("torrent %d got %d offers, want %d", i, n, want)
				}
			}
		})
	}
}

func TestOfferManagerRebalances(t *testing.T) {
	m := newOfferManager(10)
	a, b, c := torrentKey(1), torrentKey(2), torrentKey(3)
	if n, _ := offers(t, m, a, 5, 0); n != 5 {
		t.Fatal(n)
	}
	if n, _ := offers(t, m, b, 5, 0); n != 5 {
		t.Fatal(n)
	}
	// A third torrent: its share is 3, taken from the two holding 5, each
	// giving its last offers (the ones the tracker relays last).
	n, displaced := offers(t, m, c, 5, 0)
	if n != 3 || len(displaced) != 3 {
		t.Fatalf("got %d, displaced %d", n, len(displaced))
	}
	for _, p := range displaced {
		if p.index < 3 {
			t.Fatalf("offer %d of its announce gave way", p.index)
		}
	}
	if h := heldBy(m); h[a]+h[b] != 7 || h[c] != 3 || h[a] < 3 || h[b] < 3 {
		t.Fatalf("held %v", h)
	}
	if m.pending != 10 {
		t.Fatalf("pending %d", m.pending)
	}
}

// TestOfferManagerFirstOfferWhileAnswersHoldSlots is TestScaleTwoClientsMeet's
// lost torrents: answers to relayed offers fill what is left of the budget
// while every torrent holds its share, and a torrent announcing then got no
// offer; if its peer's offers had gone to nobody (it announced first), the
// two met only at the next interval. Now a torrent holding two or more
// gives its last one.
func TestOfferManagerFirstOfferWhileAnswersHoldSlots(t *testing.T) {
	m := newOfferManager(10)
	for i := range 5 {
		m.want(torrentKey(byte(i)))
	}
	for i := range 4 { // share 2 each
		if n, _ := offers(t, m, torrentKey(byte(i)), 5, 0); n != 2 {
			t.Fatalf("torrent %d got %d", i, n)
		}
	}
	for range 2 {
		if ok, d := m.reserveAnswer(torrentKey(9)); !ok || d != nil {
			t.Fatalf("answer: ok %v, displaced %v", ok, d)
		}
	}
	m.unrelayed([]*peerConn{firstOffer(m, torrentKey(2))}, 0)
	n, displaced := offers(t, m, torrentKey(4), 5, 0)
	if n != 1 || len(displaced) != 1 || displaced[0].key != torrentKey(2) {
		t.Fatalf("got %d, displaced %v (the offer relayed to nobody should give way)", n, displaced)
	}
	if h := heldBy(m); h[torrentKey(2)] != 1 || h[torrentKey(4)] != 1 || m.pending != 10 {
		t.Fatalf("held %v, pending %d", h, m.pending)
	}
	// Now one torrent holds one: the next taker is one holding two.
	m.forget(torrentKey(4)) // leaves the offers; only the share changes
	n, displaced = offers(t, m, torrentKey(5), 5, 0)
	if n != 1 || len(displaced) != 1 || displaced[0].key == torrentKey(2) || displaced[0].key == torrentKey(4) {
		t.Fatalf("got %d, displaced %v", n, displaced)
	}
	// Right after many torrents start, most slots are held by offers still
	// gathering: they count, and give way, too.
	m = newOfferManager(4)
	for i := range 3 {
		m.want(torrentKey(byte(i)))
	}
	m.want(torrentKey(1))
	if n, _ := m.reserveOffers(torrentKey(1), 5); n != 1 {
		t.Fatalf("share %d", n)
	}
	var gathering []*peerConn
	for i := range 3 {
		p := &peerConn{key: torrentKey(1), offering: true, index: i, created: time.Now()}
		if i > 0 {
			m.pending++ // reserved by an earlier announce of 1, when its share was larger
		}
		if !m.add(p) {
			t.Fatal("not added")
		}
		gathering = append(gathering, p)
	}
	if ok, _ := m.reserveAnswer(torrentKey(9)); !ok {
		t.Fatal("answer refused")
	}
	n, displaced = offers(t, m, torrentKey(2), 5, 0)
	if n != 1 || len(displaced) != 1 || displaced[0] != gathering[2] {
		t.Fatalf("got %d, displaced %v, want offer 2 of torrent 1, still gathering", n, displaced)
	}
	if m.register(gathering[2]) || !m.register(gathering[0]) {
		t.Fatal("the offer that gave way was registered, or one that did not was not")
	}

	// Every torrent down to one: nothing more is taken.
	m = newOfferManager(2)
	m.want(torrentKey(1))
	m.want(torrentKey(2))
	offers(t, m, torrentKey(1), 5, 0)
	offers(t, m, torrentKey(2), 5, 0)
	m.want(torrentKey(3))
	if n, d := offers(t, m, torrentKey(3), 5, 0); n != 0 || len(d) != 0 {
		t.Fatalf("took %d from torrents holding one each", n)
	}
}

func TestOfferManagerStarvedFirst(t *testing.T) {
	m := newOfferManager(2)
	x, y, z := torrentKey(1), torrentKey(2), torrentKey(3)
	for _, k := range []subKey{x, y, z} {
		m.want(k)
	}
	offers(t, m, x, 5, time.Minute)
	offers(t, m, y, 5, time.Minute)
	if n, _ := offers(t, m, z, 5, 0); n != 0 {
		t.Fatalf("z got %d with the budget full", n)
	}
	// z is starved: a freed slot is kept for it, not taken by x.
	m.remove(firstOffer(m, y))
	if n, _ := offers(t, m, x, 5, 0); n != 0 {
		t.Fatalf("x took %d of the slot kept for z", n)
	}
	if n, _ := offers(t, m, z, 5, time.Minute); n != 1 {
		t.Fatalf("starved z got %d", n)
	}
	// x, starved now, takes the oldest offer of another torrent, old enough
	// to have been answered: z's.
	n, displaced := offers(t, m, x, 5, 0)
	if n != 1 || len(displaced) != 1 || displaced[0].key != z {
		t.Fatalf("starved x got %d, displaced %v", n, displaced)
	}

	// Nothing is displaced that has not had minOfferAge.
	m = newOfferManager(1)
	m.want(x)
	m.want(y)
	offers(t, m, x, 5, 0)
	for range 2 { // not starved, then starved
		if n, d := offers(t, m, y, 5, 0); n != 0 || len(d) != 0 {
			t.Fatalf("y got %d by displacing a young offer", n)
		}
	}
}

func firstOffer(m *offerManager, k subKey) *peerConn {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.offers {
		if p.key == k {
			return p
		}
	}
	return nil
}

func TestOfferManagerForgetAndClose(t *testing.T) {
	m := newOfferManager(5)
	k := torrentKey(1)
	offers(t, m, k, 3, 0)
	stale := m.forget(k)
	if len(stale) != 3 {
		t.Fatalf("forget returned %d offers", len(stale))
	}
	if got := m.answered(k, stale[0].offerID); got != stale[0] {
		t.Fatal("an offer forgotten but not closed yet can still be answered")
	}
	if got := m.answered(torrentKey(2), stale[1].offerID); got != nil {
		t.Fatal("an answer for another torrent took the offer")
	}
	all := m.close()
	if len(all) != 3 {
		t.Fatalf("close returned %d", len(all))
	}
	if n, _ := m.reserveOffers(k, 5); n != 0 {
		t.Fatal("reserved after close")
	}
	if ok, _ := m.reserveAnswer(k); ok {
		t.Fatal("answer reserved after close")
	}
}
