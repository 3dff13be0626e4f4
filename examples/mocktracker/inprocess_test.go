package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
	httptransport "github.com/trackerkit/trackerkit/transport/http"
	"github.com/trackerkit/trackerkit/transport/udp"
)

// TestRequestLines runs the command in-process in both output modes and
// checks the line written for an announce and a scrape.
func TestRequestLines(t *testing.T) {
	for _, jsonMode := range []bool{true, false} {
		t.Run(map[bool]string{true: "json", false: "text"}[jsonMode], func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pr, pw := io.Pipe()
			args := []string{"-peer", testHash + ",127.0.0.9:7000"}
			if jsonMode {
				args = append(args, "-json")
			}
			done := make(chan int, 1)
			go func() { done <- run(ctx, args, pw, io.Discard); pw.Close() }()
			// The tracker writes a line before it replies: read them on
			// their own goroutine.
			lines := make(chan string, 16)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(pr)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			readLine := func() string {
				l, ok := <-lines
				if !ok {
					t.Fatal("output ended")
				}
				return l
			}
			var httpURL, udpURL string
			if jsonMode {
				var m map[string]string
				json.Unmarshal([]byte(readLine()), &m)
				httpURL, udpURL = m["http"], m["udp"]
			} else {
				httpURL = strings.Fields(readLine())[1]
				udpURL = strings.Fields(readLine())[1]
				readLine() // ws
			}
			h, _ := transport.ParseInfoHash(testHash)
			var id peer.ID
			copy(id[:], "-TK0001-inprocesstest")
			ht, ut := httptransport.New(httptransport.Config{}), udp.New(udp.Config{})
			defer ht.Close()
			defer ut.Close()
			hu, _ := url.Parse(httpURL)
			uu, _ := url.Parse(udpURL)
			actx, acancel := context.WithTimeout(ctx, 30*time.Second)
			defer acancel()
			res, err := ht.Announce(actx, hu, &transport.AnnounceRequest{InfoHash: h, PeerID: id, Port: 6881, Left: 5, Event: transport.EventStarted, NumWant: 10, Key: 0xfeed, Params: url.Values{"pk": {"x"}}})
			if err != nil || len(res.Peers) != 1 {
				t.Fatalf("announce: %v %+v", err, res)
			}
			ann := readLine()
			if _, err := ut.Scrape(actx, uu, &transport.ScrapeRequest{InfoHashes: []transport.InfoHash{h}}); err != nil {
				t.Fatal(err)
			}
			scr := readLine()
			cancel()
			for range lines { // up to "stopped"
			}
			if code := <-done; code != exitOK {
				t.Fatalf("exit %d", code)
			}
			if jsonMode {
				var a, s map[string]any
				json.Unmarshal([]byte(ann), &a)
				json.Unmarshal([]byte(scr), &s)
				params, _ := a["params"].(map[string]any)
				if a["type"] != "announce" || a["protocol"] != "http" || a["info_hash"] != testHash || a["event"] != "started" ||
					a["left"] != 5.0 || a["numwant"] != 10.0 || a["key"] != "0000feed" || params["pk"] == nil || params["info_hash"] != nil {
					t.Errorf("announce line %s", ann)
				}
				if s["type"] != "scrape" || s["protocol"] != "udp" || len(s["info_hashes"].([]any)) != 1 {
					t.Errorf("scrape line %s", scr)
				}
				return
			}
			if !strings.Contains(ann, " announce http "+testHash+" ") || !strings.Contains(ann, "event=started") || !strings.Contains(ann, "pk=x") {
				t.Errorf("announce line %q", ann)
			}
			if !strings.Contains(scr, " scrape   udp ") || !strings.Contains(scr, "1 torrents") {
				t.Errorf("scrape line %q", scr)
			}
		})
	}
}
