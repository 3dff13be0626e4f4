package webrtc

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func allBytes(start byte) (b [binaryLen]byte) {
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func TestBinaryStringRoundTrip(t *testing.T) {
	for start := 0; start < 256; start += binaryLen {
		b := allBytes(byte(start))
		s := binaryString(b)
		if utf8.RuneCountInString(s) != binaryLen || !utf8.ValidString(s) {
			t.Fatalf("%x: %q is not 20 valid runes", b, s)
		}
		// Through JSON, as on the wire.
		j, _ := json.Marshal(s)
		var back string
		if err := json.Unmarshal(j, &back); err != nil {
			t.Fatal(err)
		}
		got, err := parseBinary("x", back)
		if err != nil || got != b {
			t.Fatalf("%x: got %x, %v", b, got, err)
		}
	}
}

func TestParseBinary(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"ascii", "abcdefghijklmnopqrst", true},
		{"latin-1", strings.Repeat("\u00ff\u0080", 10), true},
		{"nul", strings.Repeat("\x00", 20), true},
		{"short", "abc", false},
		{"empty", "", false},
		{"long", strings.Repeat("a", 21), false},
		{"above U+00FF", strings.Repeat("a", 19) + "\u0100", false},
		{"replacement", strings.Repeat("a", 19) + "\ufffd", false},
		{"invalid UTF-8", strings.Repeat("a", 19) + "\xff", false},
		{"20 bytes as UTF-8 of 10 runes", strings.Repeat("\u00e9", 10), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseBinary("peer_id", tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v", err)
			}
			var fe *FieldError
			if err != nil && (!errors.Is(err, transport.ErrMalformed) || !errors.As(err, &fe) || fe.Field != "peer_id") {
				t.Fatalf("error %v is not a *FieldError wrapping ErrMalformed", err)
			}
		})
	}
}

// j builds a JSON object; binary values must be given as binaryString.
func j(kv ...any) []byte {
	m := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return mustMarshal(m)
}

func TestDecodeMessage(t *testing.T) {
	h := transport.InfoHash(allBytes(0xe0))
	p := allBytes(0x70)
	o := allBytes(0x00)
	hs, ps, os := binaryString(h), binaryString(p), binaryString(o)
	sdp := map[string]string{"type": "offer", "sdp": "v=0\r\n"}
	ans := map[string]string{"type": "answer", "sdp": "v=0\r\n"}
	tests := []struct {
		name  string
		in    []byte
		check func(*message) bool
		err   bool
	}{
		{"announce reply", j("action", "announce", "info_hash", hs, "interval", 120, "complete", 3, "incomplete", 4),
			func(m *message) bool {
				return m.isAnnounceReply() && m.InfoHash == h && m.Interval == 2*time.Minute && m.Complete == 3 && m.Incomplete == 4
			}, false},
		{"reply extras", j("action", "announce", "info_hash", hs, "interval", 60, "min interval", 30.5, "tracker id", "tid", "warning message", "careful"),
			func(m *message) bool {
				return m.MinInterval == 30500*time.Millisecond && m.TrackerID == "tid" && m.Warning == "careful" && m.Complete == -1
			}, false},
		{"relayed offer", j("action", "announce", "info_hash", hs, "peer_id", ps, "offer_id", os, "offer", sdp),
			func(m *message) bool {
				return m.Offer == "v=0\r\n" && m.PeerID == peer.ID(p) && m.OfferID == offerID(o) && !m.isAnnounceReply()
			}, false},
		{"relayed answer", j("action", "announce", "info_hash", hs, "peer_id", ps, "offer_id", os, "answer", ans),
			func(m *message) bool { return m.Answer == "v=0\r\n" && m.OfferID == offerID(o) }, false},
		{"scrape reply", j("action", "scrape", "files", map[string]any{hs: map[string]int{"complete": 1, "incomplete": 2, "downloaded": 3}}),
			func(m *message) bool {
				return m.Files[h] == transport.ScrapeStats{Complete: 1, Incomplete: 2, Downloaded: 3}
			}, false},
		{"scrape no downloaded", j("action", "scrape", "files", map[string]any{hs: map[string]int{"complete": 1}}),
			func(m *message) bool {
				return m.Files[h] == transport.ScrapeStats{Complete: 1, Incomplete: 0, Downloaded: -1}
			}, false},
		{"failure", j("action", "announce", "info_hash", hs, "failure reason", "nope"),
			func(m *message) bool { return m.HasFailure && m.Failure == "nope" && m.HasInfoHash }, false},
		{"bare failure", j("failure reason", "nope"),
			func(m *message) bool { return m.HasFailure && m.Action == "" && !m.HasInfoHash }, false},
		{"not JSON", []byte("this is not JSON {"), nil, true},
		{"JSON array", []byte("[1,2]"), nil, true},
		{"unknown action", j("action", "dance"), nil, true},
		{"short info_hash", j("action", "announce", "info_hash", "abc", "interval", 1), nil, true},
		{"wide info_hash", j("action", "announce", "info_hash", strings.Repeat("\u0101", 20), "interval", 1), nil, true},
		{"info_hash not a string", j("action", "announce", "info_hash", 7), nil, true},
		{"bad peer_id", j("action", "announce", "info_hash", hs, "peer_id", "x", "offer_id", os, "offer", sdp), nil, true},
		{"bad offer_id", j("action", "announce", "info_hash", hs, "peer_id", ps, "offer_id", "x", "offer", sdp), nil, true},
		{"offer without offer_id", j("action", "announce", "info_hash", hs, "peer_id", ps, "offer", sdp), nil, true},
		{"offer of wrong type", j("action", "announce", "info_hash", hs, "peer_id", ps, "offer_id", os, "offer", ans), nil, true},
		{"negative interval", j("action", "announce", "info_hash", hs, "interval", -1), nil, true},
		{"huge interval", j("action", "announce", "info_hash", hs, "interval", 1e300), nil, true},
		{"fractional count", j("action", "announce", "info_hash", hs, "interval", 1, "complete", 1.5), nil, true},
		{"bad files key", j("action", "scrape", "files", map[string]any{"abc": map[string]int{}}), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := decodeMessage(tt.in)
			if tt.err {
				if err == nil || !errors.Is(err, transport.ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				if m != nil && (m.Offer != "" || m.Answer != "" || m.Interval != 0 || m.Files != nil) {
					t.Fatalf("a broken message keeps more than its routing: %+v", m)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(m) {
				t.Fatalf("decoded %+v", m)
			}
		})
	}
}

func TestDecodeRouting(t *testing.T) {
	hs := binaryString(allBytes(1))
	tests := []struct {
		name    string
		in      []byte
		routed  bool
		relayed bool
	}{
		{"bad count", j("action", "announce", "info_hash", hs, "interval", 60, "complete", 0.5), true, false},
		{"bad files key", j("action", "scrape", "files", map[string]any{"x": map[string]int{}}), true, false},
		{"bad relayed offer", j("action", "announce", "info_hash", hs, "peer_id", "x", "offer", map[string]string{}), true, true},
		{"bad info_hash", j("action", "announce", "info_hash", "x", "interval", 1), false, false},
		{"not JSON", []byte("{"), false, false},
	}
	for _, tt := range tests {
		m, err := decodeMessage(tt.in)
		if err == nil {
			t.Fatalf("%s: no error", tt.name)
		}
		if (m != nil) != tt.routed || m != nil && m.Relayed != tt.relayed {
			t.Fatalf("%s: routing %+v", tt.name, m)
		}
	}
}

func TestEncode(t *testing.T) {
	h := transport.InfoHash(allBytes(0xec))
	pid := peer.ID(allBytes(0x10))
	var generic map[string]any
	decode := func(b []byte) map[string]any {
		t.Helper()
		generic = nil
		if err := json.Unmarshal(b, &generic); err != nil {
			t.Fatal(err)
		}
		return generic
	}

	m := decode(encodeAnnounce(announceParams{InfoHash: h, PeerID: pid, NumWant: 1, Left: 5, Event: transport.EventStarted,
		TrackerID: "t1", Offers: []offer{{ID: offerID(allBytes(0xa0)), SDP: "v=0"}}}))
	if m["action"] != "announce" || m["event"] != "started" || m["left"] != 5.0 || m["numwant"] != 1.0 || m["trackerid"] != "t1" {
		t.Fatalf("announce: %v", m)
	}
	if got, _ := parseBinary("info_hash", m["info_hash"].(string)); got != h {
		t.Fatalf("info_hash %q", m["info_hash"])
	}
	offers := m["offers"].([]any)
	o := offers[0].(map[string]any)
	if o["offer"].(map[string]any)["type"] != "offer" || o["offer"].(map[string]any)["sdp"] != "v=0" {
		t.Fatalf("offer %v", o)
	}
	if got, _ := parseBinary("offer_id", o["offer_id"].(string)); got != allBytes(0xa0) {
		t.Fatal("offer_id")
	}

	m = decode(encodeAnnounce(announceParams{InfoHash: h, PeerID: pid, Left: transport.LeftUnknown,
		Params: url.Values{"custom": {"blah"}, "many": {"1", "2"}, "left": {"0"}, "action": {"scrape"}, "none": {}}}))
	if m["left"] != 16384.0 || m["action"] != "announce" || m["custom"] != "blah" {
		t.Fatalf("unknown left or custom params: %v", m)
	}
	if many, _ := m["many"].([]any); len(many) != 2 || many[0] != "1" || many[1] != "2" {
		t.Fatalf("several values: %v", m["many"])
	}
	if _, ok := m["none"]; ok {
		t.Fatal("a name without values is sent")
	}

	m = decode(encodeAnnounce(announceParams{InfoHash: h, PeerID: pid, Event: transport.EventNone}))
	if _, ok := m["event"]; ok {
		t.Fatal("regular announce carries an event")
	}
	if _, ok := m["offers"]; ok {
		t.Fatal("offers without offers")
	}

	m = decode(encodeAnswer(h, pid, peer.ID(allBytes(0x30)), offerID(allBytes(0x40)), "v=1"))
	if m["answer"].(map[string]any)["type"] != "answer" || m["to_peer_id"] != binaryString(allBytes(0x30)) || m["offer_id"] != binaryString(allBytes(0x40)) {
		t.Fatalf("answer %v", m)
	}

	m = decode(encodeScrape([]transport.InfoHash{h, {}}))
	if hs := m["info_hash"].([]any); len(hs) != 2 || hs[0] != binaryString(h) {
		t.Fatalf("scrape %v", m)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	h := binaryString(allBytes(0xf0))
	p := binaryString(allBytes(0x7a))
	for _, seed := range [][]byte{
		j("action", "announce", "info_hash", h, "interval", 120, "complete", 1, "incomplete", 2),
		j("action", "announce", "info_hash", h, "peer_id", p, "offer_id", p, "offer", map[string]string{"type": "offer", "sdp": "v=0"}),
		j("action", "announce", "info_hash", h, "peer_id", p, "offer_id", p, "answer", map[string]string{"type": "answer", "sdp": "v=0"}),
		j("action", "scrape", "files", map[string]any{h: map[string]int{"complete": 1, "incomplete": 2, "downloaded": 3}}),
		j("failure reason", "x"),
		j("action", "announce", "info_hash", strings.Repeat("\u0100", 20)),
		[]byte(`{"action":"announce","info_hash":"\u00ff\u00fe\u0000aaaaaaaaaaaaaaaaa","interval":1e3}`),
		[]byte(`{"info_hash":"` + "\xff\xfe" + `"}`),
		[]byte(`{"interval":NaN}`),
		[]byte(`not json`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data)
		if err != nil {
			if !errors.Is(err, transport.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if m.Interval < 0 || m.MinInterval < 0 || m.Complete < -1 || m.Incomplete < -1 {
			t.Fatalf("negative values: %+v", m)
		}
		// Every binary field that decoded survives a round trip.
		if m.HasInfoHash && m.HasPeerID && m.HasOfferID {
			back, err := decodeMessage(encodeAnswer(m.InfoHash, m.PeerID, m.PeerID, m.OfferID, "v=0"))
			if err != nil || back.InfoHash != m.InfoHash || back.PeerID != m.PeerID || back.OfferID != m.OfferID {
				t.Fatalf("round trip: %+v, %v", back, err)
			}
		}
		for fh := range m.Files {
			if got, err := parseBinary("files", binaryString(fh)); err != nil || got != fh {
				t.Fatal("files key round trip")
			}
		}
	})
}
