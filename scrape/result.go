package scrape

import (
	"errors"
	"iter"

	"github.com/trackerkit/trackerkit/transport"
)

// Status is what a scrape learned about one info hash.
type Status uint8

const (
	// NotAsked is the zero Status: the hash was not part of the call.
	NotAsked Status = iota
	// Known: the tracker answered with statistics for the hash.
	Known
	// Unknown: the tracker answered, without the hash: it does not track it.
	Unknown
	// Failed: the request carrying the hash failed; see Result.Err.
	Failed
)

// String returns "not asked", "known", "unknown" or "failed".
func (s Status) String() string {
	switch s {
	case Known:
		return "known"
	case Unknown:
		return "unknown"
	case Failed:
		return "failed"
	default:
		return "not asked"
	}
}

// Result is the outcome for one info hash.
type Result struct {
	InfoHash transport.InfoHash
	Status   Status
	// Stats are the swarm statistics when Status is Known, zero otherwise.
	// Stats.Downloaded is -1 when the tracker did not send it.
	Stats transport.ScrapeStats
	// Err is why the hash's request failed when Status is Failed, nil
	// otherwise. It is a *transport.Error (URL redacted) wrapping the cause:
	// a *transport.StatusError, *transport.FailureError, transport.ErrTimeout,
	// the context's error, ...
	Err error
}

// Results holds one Result per distinct info hash asked, in the order the
// hashes were first given. The zero Results is empty. A Results is read-only
// once returned and safe for concurrent reads.
type Results struct {
	list  []Result
	index map[transport.InfoHash]int
}

// newResults makes a Results for hashes, duplicates removed, each Failed
// with errPending until the scrape sets it.
func newResults(hashes []transport.InfoHash) (Results, []transport.InfoHash) {
	r := Results{list: make([]Result, 0, len(hashes)), index: make(map[transport.InfoHash]int, len(hashes))}
	unique := make([]transport.InfoHash, 0, len(hashes))
	for _, h := range hashes {
		if _, dup := r.index[h]; dup {
			continue
		}
		r.index[h] = len(r.list)
		r.list = append(r.list, Result{InfoHash: h})
		unique = append(unique, h)
	}
	return r, unique
}

// set records the outcome for h; the caller holds whatever lock guards r.
func (r Results) set(res Result) {
	if i, ok := r.index[res.InfoHash]; ok {
		r.list[i] = res
	}
}

// Get returns the Result for h; its Status is NotAsked when h was not part
// of the call.
func (r Results) Get(h transport.InfoHash) Result {
	if i, ok := r.index[h]; ok {
		return r.list[i]
	}
	return Result{InfoHash: h}
}

// Len returns the number of distinct info hashes asked.
func (r Results) Len() int { return len(r.list) }

// All yields every hash and its Result in the order the hashes were given.
func (r Results) All() iter.Seq2[transport.InfoHash, Result] {
	return func(yield func(transport.InfoHash, Result) bool) {
		for _, res := range r.list {
			if !yield(res.InfoHash, res) {
				return
			}
		}
	}
}

// Count returns how many hashes have Status st.
func (r Results) Count(st Status) int {
	n := 0
	for _, res := range r.list {
		if res.Status == st {
			n++
		}
	}
	return n
}

// Err returns nil when no hash Failed, otherwise the distinct errors of the
// failed requests joined with errors.Join (so errors.Is / errors.As see each).
func (r Results) Err() error {
	var errs []error
	for _, res := range r.list {
		if res.Status != Failed || res.Err == nil {
			continue
		}
		if len(errs) == 0 || errs[len(errs)-1] != res.Err {
			errs = append(errs, res.Err)
		}
	}
	return errors.Join(dedupErrors(errs)...)
}

// dedupErrors drops repeats of the same error value (one batch's error is
// shared by all of its hashes), keeping the first occurrence's order.
func dedupErrors(errs []error) []error {
	seen := make(map[error]bool, len(errs))
	out := errs[:0]
	for _, e := range errs {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}
