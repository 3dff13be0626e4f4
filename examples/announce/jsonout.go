package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// The -json output is a public interface (docs/cli.md): one object per line,
// keys in a fixed order, every object with "time", "type", "tracker" and
// "info_hash" (the torrent's, in hex, so that lines of several runs can be
// mixed and still be told apart). The last line is a "summary".
// Add fields if needed; never rename or remove one.

// jsonTimeFormat is RFC 3339 in UTC with milliseconds.
const jsonTimeFormat = "2006-01-02T15:04:05.000Z07:00"

type jsonHead struct {
	Time     string `json:"time"`
	Type     string `json:"type"`
	Tracker  string `json:"tracker"`
	InfoHash string `json:"info_hash"` // 40 hex characters
	// Family is "ipv4" or "ipv6" on the lines of a tracker announced over
	// each family (dual-stack); absent otherwise.
	Family string `json:"family,omitempty"`
}

// withFamily sets h's family.
func withFamily(h jsonHead, f transport.Family) jsonHead {
	h.Family = f.String()
	return h
}

type jsonPeer struct {
	jsonHead
	Addr      string `json:"addr"`      // "" for a WebRTC peer, which has no address
	Transport string `json:"transport"` // "http", "udp" or "webrtc"
	ID        string `json:"id,omitempty"`
	Client    string `json:"client,omitempty"` // decoded from the ID's prefix (peerclient.go)
}

type jsonUpdate struct {
	jsonHead
	Event      string  `json:"event"`
	Complete   *int    `json:"complete"`   // null when the tracker did not say
	Incomplete *int    `json:"incomplete"` // null when the tracker did not say
	Interval   float64 `json:"interval"`   // seconds
	Peers      int     `json:"peers"`
	ExternalIP *string `json:"external_ip"` // BEP 24: our address as the tracker saw it; null when it did not say
}

type jsonState struct {
	jsonHead
	State       string   `json:"state"`         // announcer.State text: "idle", "announcing", "ok", "backing off", ...
	From        string   `json:"from"`          // the state before
	Complete    *int     `json:"complete"`      // seeders from the last answer; null until known
	Incomplete  *int     `json:"incomplete"`    // leechers from the last answer; null until known
	Peers       int      `json:"peers"`         // peers in the last reply
	Failures    int      `json:"failures"`      // consecutive failures
	Next        *string  `json:"next_announce"` // RFC 3339; null when none is planned
	RTT         *float64 `json:"rtt"`           // seconds, last successful announce; null until one
	SmoothedRTT *float64 `json:"smoothed_rtt"`  // seconds, RFC 6298 average; null until one
	LastError   *string  `json:"last_error"`    // null when none
	ExternalIP  *string  `json:"external_ip"`   // BEP 24, last said; null until said
}

type jsonScrape struct {
	jsonHead        // its info_hash is the scraped torrent's
	Complete   *int `json:"complete"`
	Incomplete *int `json:"incomplete"`
	Downloaded *int `json:"downloaded"` // null when the tracker did not say
}

type jsonWarning struct {
	jsonHead
	Message string `json:"message"`
}

type jsonError struct {
	jsonHead
	Error    string `json:"error"`
	Failures int    `json:"failures"`           // consecutive failures, 0 when not counted (skipped)
	GaveUp   bool   `json:"gave_up"`            // the tracker will not be tried again
	NextTry  string `json:"next_try,omitempty"` // RFC 3339; absent when gave_up
}

// addrText returns nil for the zero Addr (not said), else its text.
func addrText(a netip.Addr) *string {
	if !a.IsValid() {
		return nil
	}
	s := a.String()
	return &s
}

// announced sets the head's info_hash to the hash of the announce when the
// event says it: a hybrid torrent (BEP 52) is announced under its v1 hash
// and its truncated v2 hash.
func announced(h jsonHead, hash transport.InfoHash) jsonHead {
	if hash != (transport.InfoHash{}) {
		h.InfoHash = hash.String()
	}
	return h
}

// seconds returns nil for 0 (not measured), else d in seconds.
func seconds(d time.Duration) *float64 {
	if d <= 0 {
		return nil
	}
	s := d.Seconds()
	return &s
}

// count returns nil for the library's "unknown" (-1).
func count(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

// jsonEvent returns the JSON object for ev (without the newline); infoHash
// is the torrent's, in hex. Messages go through scrub, so no tracker secret
// reaches the output even if a message quotes a raw URL.
func jsonEvent(ev announcer.Event, infoHash string, scrub func(string) string) ([]byte, error) {
	head := func(typ, tracker string) jsonHead {
		return jsonHead{Time: ev.When().UTC().Format(jsonTimeFormat), Type: typ, Tracker: tracker, InfoHash: infoHash}
	}
	var v any
	switch e := ev.(type) {
	case announcer.PeerEvent:
		// One line per peer (a reply's peers come in one event): the
		// lines stay small and easy to filter.
		var lines [][]byte
		for _, p := range e.Peers {
			line, err := jsonLine(jsonPeer{jsonHead: withFamily(head("peer", e.Tracker), e.Family), Addr: peerAddr(p), Transport: e.Protocol, ID: p.ID.String(), Client: peerClient(p.ID)})
			if err != nil {
				return nil, err
			}
			lines = append(lines, line)
		}
		return bytes.Join(lines, []byte("\n")), nil
	case announcer.UpdateEvent:
		v = jsonUpdate{
			jsonHead: withFamily(announced(head("update", e.Tracker), e.InfoHash), e.Family), Event: e.Event.String(),
			Complete: count(e.Complete), Incomplete: count(e.Incomplete),
			Interval: e.Interval.Seconds(), Peers: e.Peers, ExternalIP: addrText(e.ExternalIP),
		}
	case announcer.StateEvent:
		st := e.Status
		js := jsonState{
			jsonHead: withFamily(announced(head("state", e.Tracker), st.InfoHash), st.Family), State: st.State.String(), From: e.From.String(),
			Complete: count(st.Seeders), Incomplete: count(st.Leechers), Peers: st.Peers, Failures: st.Failures,
			RTT: seconds(st.RTT), SmoothedRTT: seconds(st.SmoothedRTT), ExternalIP: addrText(st.ExternalIP),
		}
		if !st.NextAnnounce.IsZero() {
			next := st.NextAnnounce.UTC().Format(jsonTimeFormat)
			js.Next = &next
		}
		if st.LastError != nil {
			msg := scrub(errText(st.LastError))
			js.LastError = &msg
		}
		v = js
	case announcer.ScrapeEvent:
		h := head("scrape", e.Tracker)
		if e.InfoHash != (transport.InfoHash{}) {
			h.InfoHash = e.InfoHash.String()
		}
		v = jsonScrape{
			jsonHead: h,
			Complete: count(e.Stats.Complete), Incomplete: count(e.Stats.Incomplete), Downloaded: count(e.Stats.Downloaded),
		}
	case announcer.WarningEvent:
		v = jsonWarning{jsonHead: head("warning", e.Tracker), Message: scrub(e.Message)}
	case announcer.ErrorEvent:
		je := jsonError{jsonHead: withFamily(announced(head("error", e.Tracker), e.InfoHash), e.Family), Error: scrub(errText(e.Err)), Failures: e.Failures, GaveUp: e.GaveUp}
		if !e.GaveUp && !e.NextTry.IsZero() {
			je.NextTry = e.NextTry.UTC().Format(jsonTimeFormat)
		}
		v = je
	case announcer.DroppedEvent:
		// Not a tracker's doing: a warning with no tracker.
		v = jsonWarning{jsonHead: head("warning", ""), Message: droppedMessage(e.Count)}
	default:
		return nil, fmt.Errorf("unknown event type %T", ev)
	}
	return jsonLine(v)
}

// jsonLine encodes one object of the output, without the newline.
func jsonLine(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "&" in URLs and messages readable
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func droppedMessage(n int) string {
	return fmt.Sprintf("%d events dropped: output too slow", n)
}

// errText is the whole error text, as -json prints it.
func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// shortErrText is the error without the "announce <URL>: " that a
// *transport.Error puts first, for text outputs that show the tracker in a
// column of their own. A scrape error keeps its "scrape: ".
func shortErrText(err error) string {
	var te *transport.Error
	if errors.As(err, &te) && te.Err != nil && err.Error() == te.Error() {
		if te.Op != "" && te.Op != "announce" {
			return te.Op + ": " + te.Err.Error()
		}
		return te.Err.Error()
	}
	return errText(err)
}

// peerAddr is "ip:port", "[ipv6]:port", "host:port", or "" when the peer has
// no address (WebRTC).
func peerAddr(p peer.Peer) string {
	switch {
	case p.Host != "", p.Addr.IsValid():
		return p.String()
	default:
		return ""
	}
}

// jsonOutput writes -json lines.
type jsonOutput struct {
	w        io.Writer
	b        *board // for the summary
	infoHash string // hex
	scrub    func(string) string
	err      error // first write error; later writes are skipped
}

func (o *jsonOutput) event(ev announcer.Event) {
	if o.err != nil {
		return
	}
	line, err := jsonEvent(ev, o.infoHash, o.scrub)
	o.writeLine(line, err)
}

func (o *jsonOutput) writeLine(line []byte, err error) {
	if o.err != nil {
		return
	}
	if err != nil {
		o.err = err
		return
	}
	_, o.err = o.w.Write(append(line, '\n'))
}

// writeFailed reports that stdout stopped taking lines (a closed pipe, as
// with "| head -1"): the run then stops gracefully.
func (o *jsonOutput) writeFailed() bool { return o.err != nil }

func (o *jsonOutput) tick(time.Time) {}

// finish writes the "summary" line, the JSON form of the text summary.
func (o *jsonOutput) finish(now time.Time) {
	if o.b != nil {
		o.writeLine(jsonLine(jsonSummaryOf(o.b, o.infoHash, now)))
	}
}
