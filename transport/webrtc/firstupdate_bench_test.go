package webrtc_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/internal/mocktracker"
	"github.com/trackerkit/trackerkit/transport"
	"github.com/trackerkit/trackerkit/transport/webrtc"
)

// BenchmarkFirstUpdate starts N Sessions at once on one WebSocket tracker
// (the mock tracker, on loopback) through one Client whose WebRTC Transport
// has its default configuration apart from LoopbackOnly, and measures the
// time until every Session has its first UpdateEvent, and the offers the
// announces carried. Every event is consumed. Each iteration has a fresh
// tracker, Client and Transport.
func BenchmarkFirstUpdate(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			var lasts, medians []time.Duration
			var offers, wanted, short, announces int
			for b.Loop() {
				last, median, o, w, s := firstUpdates(b, n)
				lasts, medians = append(lasts, last), append(medians, median)
				offers, wanted, short, announces = offers+o, wanted+w, short+s, announces+n
			}
			sort.Slice(lasts, func(i, j int) bool { return lasts[i] < lasts[j] })
			sort.Slice(medians, func(i, j int) bool { return medians[i] < medians[j] })
			b.ReportMetric(float64(lasts[len(lasts)/2].Microseconds())/1000, "ms-to-all")
			b.ReportMetric(float64(medians[len(medians)/2].Microseconds())/1000, "ms-to-median")
			b.ReportMetric(float64(offers)/float64(announces), "offers/announce")
			b.ReportMetric(float64(wanted)/float64(announces), "wanted/announce")
			b.ReportMetric(float64(short)/float64(announces), "short-fraction")
		})
	}
}

// firstUpdates runs one round of BenchmarkFirstUpdate: the time to the last
// and the median first UpdateEvent, the offers carried and wanted, and how
// many announces carried fewer than wanted.
func firstUpdates(b *testing.B, n int) (last, median time.Duration, offers, wanted, short int) {
	tr := mocktracker.New(mocktracker.Config{})
	defer tr.Close()
	raw, err := tr.ListenWS("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	w := webrtc.New(webrtc.Config{LoopbackOnly: true})
	defer w.Close()
	c, err := announcer.NewClient(announcer.Config{PeerID: id(7), Transports: map[string]transport.Transport{"ws": w}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	type first struct {
		at             time.Duration
		offers, wanted int
	}
	firsts := make(chan first, n)
	start := time.Now()
	for i := range n {
		s := startLeecher(b, c, transport.InfoHash{0x18, byte(i >> 8), byte(i)}, raw, 1)
		go func() {
			sent := false
			for ev := range s.Events() { // every event consumed until Close
				if ue, ok := ev.(announcer.UpdateEvent); ok && !sent {
					sent = true
					firsts <- first{time.Since(start), ue.Offers, ue.OffersWanted}
				}
			}
		}()
	}
	times := make([]time.Duration, 0, n)
	for range n {
		f := <-firsts
		times = append(times, f.at)
		offers, wanted = offers+f.offers, wanted+f.wanted
		if f.offers < f.wanted {
			short++
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	return times[n-1], times[n/2], offers, wanted, short
}
