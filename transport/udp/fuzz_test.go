package udp

import (
	"errors"
	"testing"

	"github.com/trackerkit/trackerkit/transport"
)

// Every parser of bytes from the network: no panic, typed errors only, and
// results consistent with the input length.

func FuzzParseConnectReply(f *testing.F) {
	f.Add(reply(0, []uint32{1, 2}, nil))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := parseConnectReply(b)
		if (err != nil) != (len(b) < connectLen) {
			t.Fatalf("len %d err %v", len(b), err)
		}
		var te *TruncatedError
		if err != nil && (!errors.As(err, &te) || te.Len != len(b) || !errors.Is(err, transport.ErrMalformed)) {
			t.Fatalf("len %d: err %v, want a *TruncatedError", len(b), err)
		}
	})
}

func fuzzAnnounce(t *testing.T, b []byte, v6 bool) {
	size := 6
	if v6 && len(b) >= announceReplyLen && !ipv4RecordsOverIPv6(b[announceReplyLen:]) {
		size = 18
	}
	resp, err := parseAnnounceReply(b, v6)
	var te *TruncatedError
	if (errors.As(err, &te) && te.Len == len(b)) != (len(b) < announceReplyLen) {
		t.Fatalf("len %d: err %v: a *TruncatedError exactly when shorter than %d bytes", len(b), err, announceReplyLen)
	}
	switch {
	case te != nil:
	case err != nil:
		var me *transport.MalformedError
		if !errors.As(err, &me) || !errors.Is(err, transport.ErrMalformed) {
			t.Fatalf("untyped error %v", err)
		}
	default:
		if len(resp.Peers) > (len(b)-announceReplyLen)/size || resp.Interval < 0 || resp.Complete < 0 || resp.Incomplete < 0 {
			t.Fatalf("bad response %+v from %d bytes", resp, len(b))
		}
	}
}

func FuzzParseAnnounceReplyV4(f *testing.F) {
	f.Add(reply(1, []uint32{1800, 1, 2}, []byte{127, 0, 0, 1, 0x1a, 0xe1}))
	f.Add(reply(1, []uint32{1800, 1, 2}, []byte{1, 2, 3}))
	f.Add(reply(1, []uint32{0xffffffff, 0, 0}, nil))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzAnnounce(t, b, false) })
}

func FuzzParseAnnounceReplyV6(f *testing.F) {
	f.Add(reply(1, []uint32{1800, 1, 2}, make([]byte, 18)))
	f.Add(reply(1, []uint32{1800, 1, 2}, make([]byte, 36)))
	f.Add(reply(1, []uint32{1800, 1, 2}, make([]byte, 6)))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzAnnounce(t, b, true) })
}

func FuzzParseScrapeReply(f *testing.F) {
	f.Add(reply(2, []uint32{5, 6, 7}, nil), 1)
	f.Add(reply(2, []uint32{5, 6, 7, 8}, nil), 74)
	f.Add([]byte{0, 0, 0, 2}, 0)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		n = n % 100
		if n < 0 {
			n = -n
		}
		stats, err := parseScrapeReply(b, n)
		if err != nil && !errors.Is(err, transport.ErrMalformed) {
			t.Fatalf("untyped error %v", err)
		}
		var te *TruncatedError
		if errors.As(err, &te) != (len(b) < scrapeReplyHeader) {
			t.Fatalf("len %d: err %v: a *TruncatedError exactly when shorter than the header", len(b), err)
		}
		if err == nil && (len(stats) > n || 8+12*len(stats) > len(b)) {
			t.Fatalf("%d entries from %d bytes for %d hashes", len(stats), len(b), n)
		}
	})
}

func FuzzParseErrorReply(f *testing.F) {
	f.Add(reply(3, nil, []byte("Connection ID missmatch.")))
	f.Add(reply(3, nil, []byte("x\x00")))
	f.Add([]byte{0, 0, 0, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		msg := parseErrorReply(b)
		if len(b) >= headerLen && len(msg) < len(b)-headerLen-1 {
			t.Fatalf("lost text: %q from %q", msg, b)
		}
	})
}

// FuzzDispatch feeds any datagram to a socket with an announce outstanding
// (transaction ID 77): nothing panics, at most one result reaches the
// request, and a datagram is ignored exactly when it is shorter than a
// header, carries another transaction ID, or an action that is neither
// announce nor error. Anything else with our ID is the tracker's answer and
// ends the request: a short announce reply with a *TruncatedError.
func FuzzDispatch(f *testing.F) {
	f.Add(reply(1, []uint32{1800, 1, 2}, []byte{127, 0, 0, 1, 0x1a, 0xe1}), false)
	f.Add(reply(3, nil, []byte("no")), true)
	f.Add(reply(2, []uint32{1, 2, 3}, nil), false)
	f.Add(reply(1, nil, nil), false) // opentracker's 8-byte refusal
	f.Add(reply(1, []uint32{1800}, nil), false)
	f.Fuzz(func(t *testing.T, b []byte, strict bool) {
		tr := New(Config{Strict: strict})
		defer tr.Close()
		s := newSocket(tr, nil, false)
		s.randTxID = func() uint32 { return 77 }
		p := &pending{kind: actionAnnounce, ch: make(chan result, 2)}
		if err := s.register(p); err != nil {
			t.Fatal(err)
		}
		s.dispatch(b, p.dst)
		s.dispatch(b, p.dst)
		action, txid, ok := header(b)
		answer := ok && txid == 77 && (action == actionAnnounce || action == actionError)
		select {
		case res := <-p.ch:
			if !answer {
				t.Fatalf("%x: ignored datagram delivered %+v", b, res)
			}
			var te *TruncatedError
			if short := action == actionAnnounce && len(b) < announceReplyLen; short != errors.As(res.err, &te) {
				t.Fatalf("%x: result %+v: a *TruncatedError exactly for a short announce reply", b, res)
			}
		default:
			if answer {
				t.Fatalf("%x: the tracker's answer was ignored", b)
			}
		}
		if n := s.strays.Load(); answer && n != 1 || !answer && n != 2 { // an answered request is unknown to the second copy
			t.Fatalf("%x: %d strays", b, n)
		}
	})
}
