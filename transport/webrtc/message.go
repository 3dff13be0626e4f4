package webrtc

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// This file is the WebTorrent tracker message codec: pure functions from
// values to JSON text and back, with no state and no I/O, so it can be tested
// and fuzzed on its own.
//
// The binary fields (info_hash, peer_id, to_peer_id, offer_id) are 20 raw
// bytes carried as a JSON string of 20 characters, one per byte (latin-1,
// U+0000..U+00FF), as the JavaScript client builds them with
// Buffer.toString('binary'). Putting the raw bytes into a Go string would
// make json.Marshal replace invalid UTF-8 with U+FFFD, so the strings are
// built rune by rune.

// binaryLen is the length of every binary field, in characters.
const binaryLen = 20

// offerID identifies one offer across the tracker's relay.
type offerID [binaryLen]byte

// FieldError is a binary field (info_hash, peer_id, to_peer_id, offer_id)
// that is not a string of exactly 20 characters in U+0000..U+00FF. It wraps
// transport.ErrMalformed.
type FieldError struct {
	Field  string // the JSON key, e.g. "info_hash"
	Reason string
}

func (e *FieldError) Error() string {
	return "webrtc: field " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, transport.ErrMalformed) true.
func (e *FieldError) Unwrap() error { return transport.ErrMalformed }

// binaryString returns b as a latin-1 string: one rune per byte.
func binaryString(b [binaryLen]byte) string {
	var s strings.Builder
	s.Grow(2 * binaryLen)
	for _, c := range b {
		s.WriteRune(rune(c))
	}
	return s.String()
}

// parseBinary decodes a latin-1 string of exactly 20 characters.
func parseBinary(field, s string) ([binaryLen]byte, error) {
	var b [binaryLen]byte
	n := 0
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return b, &FieldError{Field: field, Reason: "invalid UTF-8"}
			}
		}
		if r > 0xFF {
			return b, &FieldError{Field: field, Reason: fmt.Sprintf("character U+%04X is above U+00FF", r)}
		}
		if n == binaryLen {
			return b, &FieldError{Field: field, Reason: "longer than 20 characters"}
		}
		b[n] = byte(r)
		n++
	}
	if n != binaryLen {
		return b, &FieldError{Field: field, Reason: fmt.Sprintf("%d characters, want 20", n)}
	}
	return b, nil
}

// sdpJSON is a session description as browsers serialize it.
type sdpJSON struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

type offerJSON struct {
	Offer   sdpJSON `json:"offer"`
	OfferID string  `json:"offer_id"`
}

// offer is one of our offers in an announce.
type offer struct {
	ID  offerID
	SDP string
}

// announceParams is an announce as sent to a WebSocket tracker.
type announceParams struct {
	InfoHash   transport.InfoHash
	PeerID     peer.ID
	NumWant    int
	Uploaded   int64
	Downloaded int64
	Left       int64
	Event      transport.Event
	TrackerID  string
	Offers     []offer
	Params     url.Values // the client's custom fields, merged by encodeAnnounce
}

// leftUnknown is sent as left for transport.LeftUnknown, as over HTTP (the
// JavaScript client's value for a size it does not know).
const leftUnknown = 16384

type announceJSON struct {
	Action     string      `json:"action"`
	InfoHash   string      `json:"info_hash"`
	PeerID     string      `json:"peer_id"`
	NumWant    int         `json:"numwant"`
	Uploaded   int64       `json:"uploaded"`
	Downloaded int64       `json:"downloaded"`
	Left       int64       `json:"left"`
	Event      string      `json:"event,omitempty"`
	Offers     []offerJSON `json:"offers,omitempty"`
	TrackerID  string      `json:"trackerid,omitempty"`
}

// encodeAnnounce returns the JSON text of an announce.
func encodeAnnounce(p announceParams) []byte {
	m := announceJSON{
		Action:     "announce",
		InfoHash:   binaryString(p.InfoHash),
		PeerID:     binaryString(p.PeerID),
		NumWant:    p.NumWant,
		Uploaded:   p.Uploaded,
		Downloaded: p.Downloaded,
		Left:       p.Left,
		Event:      p.Event.String(),
		TrackerID:  p.TrackerID,
	}
	if m.Left < 0 { // transport.LeftUnknown: a leecher of unknown size
		m.Left = leftUnknown
	}
	for _, o := range p.Offers {
		m.Offers = append(m.Offers, offerJSON{Offer: sdpJSON{Type: "offer", SDP: o.SDP}, OfferID: binaryString(o.ID)})
	}
	return mergeParams(mustMarshal(m), p.Params)
}

// announceFields are the names an announce message uses itself: custom
// parameters of the same name are left out, so they never change it.
var announceFields = []string{"action", "info_hash", "peer_id", "numwant", "uploaded",
	"downloaded", "left", "event", "offers", "trackerid"}

// mergeParams adds the client's custom parameters to the JSON object msg,
// names sorted: one value as a JSON string, several as an array of strings.
func mergeParams(msg []byte, params url.Values) []byte {
	names := make([]string, 0, len(params))
	for name, vs := range params {
		if name != "" && len(vs) > 0 && !slices.Contains(announceFields, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return msg
	}
	slices.Sort(names)
	out := append(make([]byte, 0, len(msg)+32*len(names)), msg[:len(msg)-1]...) // without the closing brace
	for _, name := range names {
		var v any = params[name]
		if vs := params[name]; len(vs) == 1 {
			v = vs[0]
		}
		out = append(out, ',')
		out = append(out, mustMarshal(name)...)
		out = append(out, ':')
		out = append(out, mustMarshal(v)...)
	}
	return append(out, '}')
}

type answerJSON struct {
	Action   string  `json:"action"`
	InfoHash string  `json:"info_hash"`
	PeerID   string  `json:"peer_id"`
	ToPeerID string  `json:"to_peer_id"`
	OfferID  string  `json:"offer_id"`
	Answer   sdpJSON `json:"answer"`
}

// encodeAnswer returns the JSON text of our answer to a relayed offer.
func encodeAnswer(infoHash transport.InfoHash, self, to peer.ID, id offerID, sdp string) []byte {
	return mustMarshal(answerJSON{
		Action:   "announce",
		InfoHash: binaryString(infoHash),
		PeerID:   binaryString(self),
		ToPeerID: binaryString(to),
		OfferID:  binaryString(id),
		Answer:   sdpJSON{Type: "answer", SDP: sdp},
	})
}

type scrapeJSON struct {
	Action   string   `json:"action"`
	InfoHash []string `json:"info_hash"`
}

// encodeScrape returns the JSON text of a scrape of hashes.
func encodeScrape(hashes []transport.InfoHash) []byte {
	m := scrapeJSON{Action: "scrape", InfoHash: make([]string, len(hashes))}
	for i, h := range hashes {
		m.InfoHash[i] = binaryString(h)
	}
	return mustMarshal(m)
}

// mustMarshal marshals values whose types cannot fail to encode (strings,
// integers, slices and structs of them).
func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("webrtc: encoding a message: " + err.Error())
	}
	return b
}

// message is one decoded message from a tracker. Which fields are set tells
// what it is: an announce reply (Interval or counts), a relayed offer (Offer),
// a relayed answer (Answer), a scrape reply (Files), or a failure (Failure).
type message struct {
	// Action is "announce", "scrape", or "" when the tracker sent none
	// (some send a bare {"failure reason": ...}).
	Action string

	InfoHash    transport.InfoHash
	HasInfoHash bool
	PeerID      peer.ID // the offerer or answerer of a relayed offer/answer
	HasPeerID   bool
	OfferID     offerID
	HasOfferID  bool
	Offer       string // SDP of a relayed offer, "" if none
	Answer      string // SDP of a relayed answer, "" if none

	Interval    time.Duration // 0 when absent
	MinInterval time.Duration // 0 when absent
	Complete    int           // -1 when absent
	Incomplete  int           // -1 when absent
	TrackerID   string
	Warning     string
	Failure     string
	HasFailure  bool

	Files map[transport.InfoHash]transport.ScrapeStats // scrape reply; nil otherwise

	// Relayed: the message came from another peer (it has a peer_id, an
	// offer or an answer); it answers none of our requests.
	Relayed bool
	// HasReplyFields: interval, min interval, complete, incomplete, tracker
	// id or warning message is present (what an announce reply carries).
	HasReplyFields bool
}

// isAnnounceReply reports whether m answers one of our announces: it is
// not relayed from another peer, names the announce action or an info hash,
// and carries at least one field of a reply. Anything else (a bare null,
// {}, an action without fields) answers nothing and so never takes the
// place of a pending announce's reply.
func (m *message) isAnnounceReply() bool {
	return !m.Relayed && (m.Action == "announce" || m.HasInfoHash) && m.HasReplyFields
}

type rawMessage struct {
	Action      *string              `json:"action"`
	InfoHash    *string              `json:"info_hash"`
	PeerID      *string              `json:"peer_id"`
	OfferID     *string              `json:"offer_id"`
	Offer       *sdpJSON             `json:"offer"`
	Answer      *sdpJSON             `json:"answer"`
	Interval    *float64             `json:"interval"`
	MinInterval *float64             `json:"min interval"`
	Complete    *float64             `json:"complete"`
	Incomplete  *float64             `json:"incomplete"`
	TrackerID   *string              `json:"tracker id"`
	Warning     *string              `json:"warning message"`
	Failure     *string              `json:"failure reason"`
	Files       map[string]rawCounts `json:"files"`
}

type rawCounts struct {
	Complete   *float64 `json:"complete"`
	Incomplete *float64 `json:"incomplete"`
	Downloaded *float64 `json:"downloaded"`
}

// maxSeconds bounds intervals so that they fit a time.Duration.
const maxSeconds = 1 << 31

// decodeMessage parses one text frame from a tracker. Every error wraps
// transport.ErrMalformed: a *FieldError for a bad binary field, a
// *transport.MalformedError otherwise.
//
// With an error, the message returned, if not nil, holds what tells which
// request a broken reply was meant for: Action, InfoHash when they parsed,
// and Relayed.
func decodeMessage(data []byte) (*message, error) {
	m, err := decode(data)
	if err != nil {
		return m.routing(), err
	}
	return m, nil
}

// routing keeps the fields that route a broken reply; nil for nil.
func (m *message) routing() *message {
	if m == nil {
		return nil
	}
	return &message{Action: m.Action, InfoHash: m.InfoHash, HasInfoHash: m.HasInfoHash, Relayed: m.Relayed,
		Complete: -1, Incomplete: -1}
}

func decode(data []byte) (*message, error) {
	var r rawMessage
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &transport.MalformedError{What: "not a JSON tracker message", Err: err}
	}
	m := &message{Complete: -1, Incomplete: -1, Relayed: r.PeerID != nil || r.Offer != nil || r.Answer != nil,
		HasReplyFields: r.Interval != nil || r.MinInterval != nil || r.Complete != nil || r.Incomplete != nil ||
			r.TrackerID != nil || r.Warning != nil}
	if r.Action != nil {
		switch *r.Action {
		case "announce", "scrape":
			m.Action = *r.Action
		default:
			return nil, &transport.MalformedError{What: fmt.Sprintf("unknown action %q", truncate(*r.Action))}
		}
	}
	var f fieldDecoder
	if m.InfoHash, m.HasInfoHash = f.binary("info_hash", r.InfoHash); f.err != nil {
		return nil, f.err
	}
	if r.Failure != nil {
		m.Failure, m.HasFailure = *r.Failure, true
	}
	if r.Warning != nil {
		m.Warning = *r.Warning
	}
	if r.TrackerID != nil {
		m.TrackerID = *r.TrackerID
	}
	m.PeerID, m.HasPeerID = f.binary("peer_id", r.PeerID)
	m.OfferID, m.HasOfferID = f.binary("offer_id", r.OfferID)
	m.Offer = f.relayed("offer", r.Offer, m)
	m.Answer = f.relayed("answer", r.Answer, m)
	m.Interval = f.seconds("interval", r.Interval)
	m.MinInterval = f.seconds("min interval", r.MinInterval)
	m.Complete = f.count("complete", r.Complete)
	m.Incomplete = f.count("incomplete", r.Incomplete)
	if r.Files != nil && f.err == nil {
		m.Files = make(map[transport.InfoHash]transport.ScrapeStats, len(r.Files))
		for k, v := range r.Files {
			h, _ := f.binary("files", &k)
			s := transport.ScrapeStats{
				Complete:   max(f.count("files complete", v.Complete), 0),
				Incomplete: max(f.count("files incomplete", v.Incomplete), 0),
				Downloaded: f.count("files downloaded", v.Downloaded),
			}
			if f.err != nil {
				break
			}
			m.Files[h] = s
		}
	}
	return m, f.err
}

// fieldDecoder converts the optional fields of a rawMessage and keeps the
// first error: once a field failed, the message is malformed whatever the
// others hold, so they are not read (each method then returns its zero).
type fieldDecoder struct{ err error }

// binary decodes an optional binary field; ok is false when it is absent
// or bad.
func (f *fieldDecoder) binary(name string, s *string) (b [binaryLen]byte, ok bool) {
	if s == nil || f.err != nil {
		return b, false
	}
	b, f.err = parseBinary(name, *s)
	return b, f.err == nil
}

// relayed returns the SDP of a relayed offer or answer (want names which);
// "" when absent. One without its type, its SDP, or the peer_id, offer_id
// and info_hash of m is malformed.
func (f *fieldDecoder) relayed(want string, d *sdpJSON, m *message) string {
	if d == nil || f.err != nil {
		return ""
	}
	if d.Type != want || d.SDP == "" || !m.HasPeerID || !m.HasOfferID || !m.HasInfoHash {
		f.err = &transport.MalformedError{What: "relayed " + want + " without type \"" + want + "\", sdp, peer_id, offer_id or info_hash"}
		return ""
	}
	return d.SDP
}

// seconds converts an optional JSON number of seconds; 0 when absent.
func (f *fieldDecoder) seconds(name string, v *float64) time.Duration {
	if v == nil || f.err != nil {
		return 0
	}
	if math.IsNaN(*v) || *v < 0 || *v > maxSeconds {
		f.err = &transport.MalformedError{What: name + " out of range"}
		return 0
	}
	return time.Duration(*v * float64(time.Second)).Round(time.Millisecond)
}

// count converts an optional JSON count; -1 when absent.
func (f *fieldDecoder) count(name string, v *float64) int {
	if v == nil || f.err != nil {
		return -1
	}
	if math.IsNaN(*v) || *v < 0 || *v > math.MaxInt32 || *v != math.Trunc(*v) {
		f.err = &transport.MalformedError{What: name + " is not a count"}
		return 0
	}
	return int(*v)
}

// truncate shortens tracker-supplied text quoted in errors.
func truncate(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
