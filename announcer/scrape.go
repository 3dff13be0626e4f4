package announcer

import (
	"context"
	"errors"
	"time"

	"github.com/trackerkit/trackerkit/transport"
)

// Scrape asks every tracker of the Session that supports scraping for the
// torrent's statistics, in parallel, and waits for the answers. Each answer
// is a ScrapeEvent (a tracker that does not know the torrent reports
// zeros); each failure an ErrorEvent with Failures 0 (scrapes do not count
// towards a tracker's announce failures). Each tracker it does not scrape
// gets a ScrapeSkippedEvent saying why: SkipNoScrape (its transport says it
// cannot be scraped: an HTTP URL with no "announce" path segment, BEP 48)
// or SkipGaveUp (the URL is given up, or unusable).
//
// It returns the failures joined, an error wrapping transport.ErrUnsupported
// when no tracker could be scraped, or ErrClosed after the Session ended.
// The end of the Session or of ctx aborts it.
func (s *Session) Scrape(ctx context.Context) error {
	s.mu.Lock()
	if s.life != lifeNew && s.life != lifeRunning {
		s.mu.Unlock()
		return ErrClosed
	}
	s.wg.Add(1)
	var targets []*tracker
	var gaveUp []ScrapeSkippedEvent
	now := time.Now()
	for _, t := range s.trackers {
		if t.tr != nil && t.State != StateGaveUp {
			targets = append(targets, t)
		} else {
			gaveUp = append(gaveUp, ScrapeSkippedEvent{Time: now, Tracker: t.url.redacted, Reason: SkipGaveUp, Err: t.LastError})
		}
	}
	s.mu.Unlock()
	for _, ev := range gaveUp {
		s.events.push(ev)
	}
	defer s.wg.Done()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.runCtx, cancel)()

	errs := eachTracker(targets, func(t *tracker) error { return s.scrapeOne(ctx, t) })
	var failed []error
	unsupported := 0
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, transport.ErrUnsupported) && ctx.Err() == nil:
			unsupported++
			s.events.push(ScrapeSkippedEvent{Time: time.Now(), Tracker: targets[i].url.redacted, Reason: SkipNoScrape, Err: err})
		default:
			failed = append(failed, err)
		}
	}
	if unsupported == len(targets) {
		return &transport.Error{Op: "scrape", URL: "", Err: transport.ErrUnsupported}
	}
	return errors.Join(failed...)
}

// scrapeOne scrapes the torrent from t and emits the result.
func (s *Session) scrapeOne(ctx context.Context, t *tracker) error {
	if err := s.c.acquireSlot(ctx, t.url); err != nil {
		return s.wrap("scrape", t, err)
	}
	resp, err := t.tr.Scrape(ctx, t.url.u, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{t.InfoHash}})
	s.c.releaseSlot(t.url)
	now := time.Now()
	if err == nil && resp == nil {
		err = &transport.MalformedError{What: "transport returned no response"}
	}
	if err != nil {
		err = s.wrap("scrape", t, err)
		if !errors.Is(err, transport.ErrUnsupported) && ctx.Err() == nil {
			s.events.push(ErrorEvent{Time: now, Tracker: t.url.redacted, InfoHash: t.InfoHash, Family: t.Family, Err: err})
		}
		return err
	}
	st, ok := resp.Files[t.InfoHash]
	if !ok {
		st = transport.ScrapeStats{}
	}
	s.mu.Lock()
	t.Seeders, t.Leechers = st.Complete, st.Incomplete
	s.mu.Unlock()
	s.events.push(ScrapeEvent{Time: now, Tracker: t.url.redacted, InfoHash: t.InfoHash, Stats: st})
	return nil
}
