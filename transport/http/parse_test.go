package http

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

func id(s string) (p peer.ID) { copy(p[:], s); return p }

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestParseAnnounce(t *testing.T) {
	i6 := "[6969:6969:6969:6969:6969:6969:6969:6969]:28784"
	tests := []struct {
		name string
		in   string
		want *transport.AnnounceResponse
	}{
		{"torrust compact with peers6", torrustCompact, &transport.AnnounceResponse{
			Interval: 111 * time.Second, MinInterval: 222 * time.Second, Complete: 333, Incomplete: 444,
			Peers: []peer.Peer{{Addr: ap("105.105.105.105:28784")}, {Addr: ap(i6)}},
		}},
		{"torrust non-compact with IPv6 dict peer", torrustNonCompact, &transport.AnnounceResponse{
			Interval: 111 * time.Second, MinInterval: 222 * time.Second, Complete: 333, Incomplete: 444,
			Peers: []peer.Peer{
				{Addr: ap("105.105.105.105:28784"), ID: id("-qB00000000000000001")},
				{Addr: ap(i6), ID: id("-qB00000000000000002")},
			},
		}},
		{"every field", string(benc(dict{
			"interval": 1800, "min interval": 60, "complete": 5, "incomplete": 7,
			"tracker id": "tid-1", "warning message": "be nice", "external ip": "\x01\x02\x03\x04",
			"peers": "\x0a\x00\x00\x01\x1a\xe1", "peers6": strings.Repeat("\x00", 15) + "\x01\x00\x50",
			"unknown": dict{"x": list{1, "y"}},
		})), &transport.AnnounceResponse{
			Interval: 30 * time.Minute, MinInterval: time.Minute, Complete: 5, Incomplete: 7,
			TrackerID: "tid-1", Warning: "be nice", ExternalIP: netip.MustParseAddr("1.2.3.4"),
			Peers: []peer.Peer{{Addr: ap("10.0.0.1:6881")}, {Addr: ap("[::1]:80")}},
		}},
		{"only interval: counts unknown", "d8:intervali60ee", &transport.AnnounceResponse{
			Interval: time.Minute, Complete: -1, Incomplete: -1,
		}},
		{"unsorted keys, trailing newline", "d5:peers0:8:intervali60e8:completei1ee\r\n", &transport.AnnounceResponse{
			Interval: time.Minute, Complete: 1, Incomplete: -1,
		}},
		{"duplicate key: last wins", "d8:intervali1e8:intervali2ee", &transport.AnnounceResponse{
			Interval: 2 * time.Second, Complete: -1, Incomplete: -1,
		}},
		{"external ip 16 bytes", string(benc(dict{"interval": 1, "external ip": "\x20\x01\x0d\xb8" + strings.Repeat("\x00", 11) + "\x01"})),
			&transport.AnnounceResponse{Interval: time.Second, Complete: -1, Incomplete: -1, ExternalIP: netip.MustParseAddr("2001:db8::1")}},
		{"external ip as text", string(benc(dict{"interval": 1, "external ip": "192.0.2.7"})),
			&transport.AnnounceResponse{Interval: time.Second, Complete: -1, Incomplete: -1, ExternalIP: netip.MustParseAddr("192.0.2.7")}},
		{"external ip of 5 bytes ignored", string(benc(dict{"interval": 1, "external ip": "\x01\x02\x03\x04\x05"})),
			&transport.AnnounceResponse{Interval: time.Second, Complete: -1, Incomplete: -1}},
		{"optional fields of wrong type or range ignored", string(benc(dict{
			"interval": 1, "min interval": -5, "complete": "many", "incomplete": -1,
			"tracker id": 7, "warning message": list{}, "external ip": 3,
		})), &transport.AnnounceResponse{Interval: time.Second, Complete: -1, Incomplete: -1}},
		{"zero interval accepted", "d8:intervali0ee", &transport.AnnounceResponse{Complete: -1, Incomplete: -1}},
		// Out-of-range intervals are clamped, never malformed: the announcer's
		// floor and cap then apply (issue 12).
		{"negative interval is 0", "d8:intervali-1e12:min intervali-5ee", &transport.AnnounceResponse{Complete: -1, Incomplete: -1}},
		{"interval beyond int64 is the largest", "d8:intervali99999999999999999999e12:min intervali9223372036854775808ee",
			&transport.AnnounceResponse{Interval: time.Duration(maxSeconds) * time.Second, MinInterval: time.Duration(maxSeconds) * time.Second, Complete: -1, Incomplete: -1}},
		{"interval beyond Duration is the largest", "d8:intervali9223372036854775807ee",
			&transport.AnnounceResponse{Interval: time.Duration(maxSeconds) * time.Second, Complete: -1, Incomplete: -1}},
		{"compact peer with port 0 dropped", string(benc(dict{"interval": 1, "peers": "\x01\x02\x03\x04\x00\x00"})),
			&transport.AnnounceResponse{Interval: time.Second, Complete: -1, Incomplete: -1}},
		{"dict peer with hostname", string(benc(dict{"interval": 1, "peers": list{dict{"ip": "Peer.Example.org", "port": 6881}}})),
			&transport.AnnounceResponse{Interval: time.Second, Complete: -1, Incomplete: -1,
				Peers: []peer.Peer{{Host: "peer.example.org", Addr: netip.AddrPortFrom(netip.Addr{}, 6881)}}}},
		{"bad dict peers skipped, good kept", string(benc(dict{"interval": 1, "peers": list{
			dict{"ip": "not a host!", "port": 1},
			dict{"ip": "10.0.0.1", "port": 70000},
			dict{"ip": "10.0.0.1", "port": 1, "peer id": "short"},
			dict{"ip": 5, "port": 1},
			dict{"ip": "10.0.0.1", "port": "1"},
			dict{"port": 1},
			dict{"ip": "10.0.0.1"},
			dict{"ip": "10.0.0.1", "port": 0},
			"not a dict", 42,
			dict{"ip": "10.0.0.2", "port": 2},
		}})), &transport.AnnounceResponse{Interval: time.Second, Complete: -1, Incomplete: -1,
			Peers: []peer.Peer{{Addr: ap("10.0.0.2:2")}}}},
		{"dict peers plus peers6", string(benc(dict{"interval": 1,
			"peers":  list{dict{"ip": "10.0.0.2", "port": 2}},
			"peers6": strings.Repeat("\x00", 15) + "\x01\x00\x50"})),
			&transport.AnnounceResponse{Interval: time.Second, Complete: -1, Incomplete: -1,
				Peers: []peer.Peer{{Addr: ap("10.0.0.2:2")}, {Addr: ap("[::1]:80")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAnnounce([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseAnnounce: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseAnnounceFailure(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want transport.FailureError
	}{
		{"plain", "d14:failure reason9:not founde", transport.FailureError{Reason: "not found"}},
		{"retry in minutes", "d14:failure reason4:busy8:retry ini30ee", transport.FailureError{Reason: "busy", RetryIn: 30 * time.Minute}},
		{"retry in minutes as string", "d14:failure reason4:busy8:retry in2:30e", transport.FailureError{Reason: "busy", RetryIn: 30 * time.Minute}},
		{"retry in never", "d14:failure reason4:gone8:retry in5:nevere", transport.FailureError{Reason: "gone", RetryNever: true}},
		{"retry in garbage", "d14:failure reason1:x8:retry in4:soone", transport.FailureError{Reason: "x"}},
		{"retry in zero", "d14:failure reason1:x8:retry ini0ee", transport.FailureError{Reason: "x"}},
		{"retry in negative", "d14:failure reason1:x8:retry ini-5ee", transport.FailureError{Reason: "x"}},
		{"retry in overflowing", "d14:failure reason1:x8:retry ini99999999999999999999ee", transport.FailureError{Reason: "x"}},
		{"retry in list", "d14:failure reason1:x8:retry inlee", transport.FailureError{Reason: "x"}},
		{"failure wins over a bad interval and bad peers", "d14:failure reason1:x8:intervali-1e5:peers1:xe", transport.FailureError{Reason: "x"}},
		{"empty reason", "d14:failure reason0:e", transport.FailureError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, parse := range []func([]byte) error{
				func(b []byte) error { _, err := ParseAnnounce(b); return err },
				func(b []byte) error { _, err := ParseScrape(b); return err },
			} {
				err := parse([]byte(tt.in))
				var fe *transport.FailureError
				if !errors.As(err, &fe) {
					t.Fatalf("got %v, want a FailureError", err)
				}
				if *fe != tt.want {
					t.Errorf("got %+v, want %+v", *fe, tt.want)
				}
				if !errors.Is(err, transport.ErrTrackerFailure) || errors.Is(err, transport.ErrPermanent) != tt.want.RetryNever {
					t.Errorf("errors.Is mismatch for %v", err)
				}
			}
		})
	}
}

func TestParseAnnounceMalformed(t *testing.T) {
	deep := strings.Repeat("l", 10000) + strings.Repeat("e", 10000)
	tests := []struct {
		name    string
		in      string
		syntax  bool // wraps a *SyntaxError
		length  bool // wraps a *peer.LengthError
		message string
	}{
		{"empty", "", true, false, ""},
		{"not a dict", "li1ee", true, false, ""},
		{"html", "<html>", true, false, ""},
		{"interval missing", "d8:completei1ee", false, false, "interval missing"},
		{"interval string", "d8:interval2:60e", false, false, "interval"},
		{"bad peers length", "d8:intervali1e5:peers7:1234567e", false, true, "peers"},
		{"bad peers6 length", "d8:intervali1e6:peers66:123456e", false, true, "peers6"},
		{"peers is a dict", "d8:intervali1e5:peersdee", false, false, "peers"},
		{"peers is an int", "d8:intervali1e5:peersi1ee", false, false, "peers"},
		{"peers6 is a list", "d8:intervali1e6:peers6lee", false, false, "peers6"},
		{"failure reason not a string", "d14:failure reasoni1ee", false, false, "failure reason"},
		{"deep nesting", "d8:intervali1e1:x" + deep + "e", true, false, "nested too deep"},
		{"deep nesting at top", deep, true, false, ""},
		{"huge length prefix", "d8:intervali1e1:x4611686018427387904:ae", true, false, "length"},
		{"huge key length", "d4611686018427387904:ae", true, false, "length"},
		{"endless digits", "d8:intervali1e1:x" + strings.Repeat("9", 100000), true, false, "length"},
		{"integer without digits", "d8:intervalie", true, false, "digits"},
		{"integer with sign only", "d8:intervali-ee", true, false, "digits"},
		{"integer with junk", "d8:intervali1xe", true, false, "in an integer"},
		{"non-string key", "di1ei1ee", true, false, "string"},
		{"trailing data", "d8:intervali1eeX", true, false, "after"},
		{"two dicts", "d8:intervali1eede", true, false, "after"},
		{"string missing colon", "d8:intervali1e1:x3abce", true, false, "string length"},
		{"unterminated", "d8:intervali1e", true, false, "end of input"},
		{"unknown type", "d1:xX", true, false, "unexpected byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAnnounce([]byte(tt.in))
			var me *transport.MalformedError
			if !errors.As(err, &me) || !errors.Is(err, transport.ErrMalformed) {
				t.Fatalf("got %v, want a MalformedError", err)
			}
			var se *SyntaxError
			if errors.As(err, &se) != tt.syntax {
				t.Errorf("SyntaxError: got %v, want %v (%v)", !tt.syntax, tt.syntax, err)
			}
			var le *peer.LengthError
			if errors.As(err, &le) != tt.length {
				t.Errorf("LengthError: got %v, want %v (%v)", !tt.length, tt.length, err)
			}
			if tt.length && !errors.Is(err, peer.ErrMalformed) {
				t.Errorf("%v does not match peer.ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("error %q does not mention %q", err, tt.message)
			}
		})
	}
}

// TestParseTruncated cuts valid replies at every length: each prefix must be
// a MalformedError (none is a valid reply), never a panic.
func TestParseTruncated(t *testing.T) {
	for _, reply := range []string{torrustCompact, torrustNonCompact, torrustScrape} {
		for n := range len(reply) {
			prefix := []byte(reply[:n])
			for name, err := range map[string]error{
				"announce": func() error { _, err := ParseAnnounce(prefix); return err }(),
				"scrape":   func() error { _, err := ParseScrape(prefix); return err }(),
			} {
				if !errors.Is(err, transport.ErrMalformed) {
					t.Fatalf("%s of %q: got %v, want ErrMalformed", name, prefix, err)
				}
			}
		}
	}
}

func TestParseScrape(t *testing.T) {
	h := func(s string) (x transport.InfoHash) { copy(x[:], s); return x }
	tests := []struct {
		name string
		in   string
		want map[transport.InfoHash]transport.ScrapeStats
	}{
		{"torrust sample", torrustScrape, map[transport.InfoHash]transport.ScrapeStats{
			h("iiiiiiiiiiiiiiiiiiii"): {Complete: 1, Incomplete: 3, Downloaded: 2},
		}},
		{"empty files", "d5:filesdee", map[transport.InfoHash]transport.ScrapeStats{}},
		{"several, unknown keys, flags", string(benc(dict{
			"flags": dict{"min_request_interval": 900},
			"files": dict{
				"aaaaaaaaaaaaaaaaaaaa": dict{"complete": 1, "incomplete": 2, "downloaded": 3, "name": "x"},
				"bbbbbbbbbbbbbbbbbbbb": dict{"complete": 4},
				"short":                dict{"complete": 1},
				"cccccccccccccccccccc": "not a dict",
				"dddddddddddddddddddd": dict{"complete": -1, "incomplete": "2", "downloaded": list{}},
			},
		})), map[transport.InfoHash]transport.ScrapeStats{
			h("aaaaaaaaaaaaaaaaaaaa"): {Complete: 1, Incomplete: 2, Downloaded: 3},
			h("bbbbbbbbbbbbbbbbbbbb"): {Complete: 4, Incomplete: -1, Downloaded: -1},
			h("dddddddddddddddddddd"): {Complete: -1, Incomplete: -1, Downloaded: -1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseScrape([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseScrape: %v", err)
			}
			if !reflect.DeepEqual(got.Files, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got.Files, tt.want)
			}
		})
	}
}

func TestParseScrapeMalformed(t *testing.T) {
	for _, in := range []string{"", "de", "d5:filesi1ee", "d5:fileslee", "d5:filesd", "d5:filesdee garbage", torrustCompact} {
		_, err := ParseScrape([]byte(in))
		var me *transport.MalformedError
		if !errors.As(err, &me) {
			t.Errorf("ParseScrape(%q) = %v, want a MalformedError", in, err)
		}
	}
}

// TestParseScrapeUTF8Keys covers bittorrent-tracker's HTTP scrape replies,
// whose "files" keys are the hash's bytes as characters, UTF-8 encoded.
func TestParseScrapeUTF8Keys(t *testing.T) {
	var h transport.InfoHash
	for i := range h {
		h[i] = byte(0x70 + i*7) // bytes both below and above 0x80
	}
	var utf8Key []rune
	for _, b := range h {
		utf8Key = append(utf8Key, rune(b))
	}
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{"raw 20 bytes", string(h[:]), true},
		{"utf-8 of latin-1", string(utf8Key), true},
		{"utf-8 with a rune above U+00FF", "\u0100" + string(utf8Key[1:]), false},
		{"19 characters", string(utf8Key[1:]), false},
		{"invalid utf-8 of other length", "\xff\xfe", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fmt.Sprintf("d5:filesd%d:%sd8:completei3e10:downloadedi5e10:incompletei7eeee", len(tt.key), tt.key)
			r, err := ParseScrape([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			st, ok := r.Files[h]
			if ok != tt.want {
				t.Fatalf("found = %v, want %v (files %v)", ok, tt.want, r.Files)
			}
			if ok && (st != transport.ScrapeStats{Complete: 3, Incomplete: 7, Downloaded: 5}) {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}
