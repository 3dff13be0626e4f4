package main

import (
	"time"
)

// jsonSummary is the last -json line, type "summary": what the text summary
// says (summaryLines), for scripts. Its "tracker" is "" (it is about all of
// them); "trackers" has one entry per row, in the rows' order.
type jsonSummary struct {
	jsonHead
	Answered int                  `json:"answered"` // trackers that answered at least once
	Total    int                  `json:"total"`    // trackers listed, ignored ones included
	Peers    int                  `json:"peers"`    // distinct peers found, all trackers together
	Duration float64              `json:"duration"` // seconds the run lasted
	Dropped  int                  `json:"dropped"`  // events dropped because stdout was slow
	Trackers []jsonTrackerOutcome `json:"trackers"`
}

// jsonTrackerOutcome is one tracker's line of the summary.
type jsonTrackerOutcome struct {
	Tracker    string `json:"tracker"`  // redacted URL
	State      string `json:"state"`    // as the text summary: ok, failing, gave up, skipped, stopped, ignored, waiting, ...
	Answered   bool   `json:"answered"` // it answered an announce or a scrape
	Seeders    *int   `json:"seeders"`  // null when unknown
	Leechers   *int   `json:"leechers"` // null when unknown
	Downloaded *int   `json:"downloaded"`
	Peers      int    `json:"peers"`           // distinct peers it gave
	Failures   int    `json:"failures"`        // consecutive failures at the end
	Error      string `json:"error,omitempty"` // last error or warning, scrubbed
}

func jsonSummaryOf(b *board, infoHash string, now time.Time) jsonSummary {
	s := jsonSummary{
		jsonHead: jsonHead{Time: now.UTC().Format(jsonTimeFormat), Type: "summary", InfoHash: infoHash},
		Total:    len(b.rows), Peers: len(b.peers), Duration: now.Sub(b.start).Round(time.Millisecond).Seconds(),
		Dropped: b.dropped, Trackers: make([]jsonTrackerOutcome, 0, len(b.rows)),
	}
	for _, r := range b.rows {
		if r.Answered {
			s.Answered++
		}
		s.Trackers = append(s.Trackers, jsonTrackerOutcome{
			Tracker: r.URL, State: r.State, Answered: r.Answered,
			Seeders: count(r.Seeders), Leechers: count(r.Leechers), Downloaded: count(r.Downloaded),
			Peers: len(r.Peers), Failures: r.Failures, Error: r.LastError,
		})
	}
	return s
}
