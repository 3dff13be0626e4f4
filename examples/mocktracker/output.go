package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/trackerkit/trackerkit/announcer/announcertest"
	"github.com/trackerkit/trackerkit/peer"
)

// The -json output is an interface for test harnesses (docs/mocktracker.md):
// one object per line, every one with "time" and "type"; fields are only
// ever added.

const timeFormat = "2006-01-02T15:04:05.000Z07:00" // RFC 3339, UTC, milliseconds

type jsonListening struct {
	Time string `json:"time"`
	Type string `json:"type"` // "listening"
	HTTP string `json:"http"`
	UDP  string `json:"udp"`
	WS   string `json:"ws"`
}

type jsonAnnounce struct {
	Time       string              `json:"time"`
	Type       string              `json:"type"` // "announce"
	Protocol   string              `json:"protocol"`
	InfoHash   string              `json:"info_hash"`
	PeerID     string              `json:"peer_id"` // hex
	Addr       string              `json:"addr"`    // "" over WebSocket
	Event      string              `json:"event"`   // "started", "completed", "stopped" or ""
	Uploaded   int64               `json:"uploaded"`
	Downloaded int64               `json:"downloaded"`
	Left       int64               `json:"left"`
	NumWant    int                 `json:"numwant"` // -1: not sent
	Key        string              `json:"key,omitempty"`
	Params     map[string][]string `json:"params"` // the rest, as received
}

type jsonScrape struct {
	Time       string   `json:"time"`
	Type       string   `json:"type"` // "scrape"
	Protocol   string   `json:"protocol"`
	From       string   `json:"from"` // "" over WebSocket
	InfoHashes []string `json:"info_hashes"`
}

type jsonStopped struct {
	Time string `json:"time"`
	Type string `json:"type"` // "stopped"
}

// output writes what the tracker does; its methods are called from the
// front ends' goroutines.
type output struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
}

func newOutput(w io.Writer, jsonLines bool) *output { return &output{w: w, json: jsonLines} }

func now() string { return time.Now().UTC().Format(timeFormat) }

func (o *output) line(v any, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.json {
		fmt.Fprintln(o.w, text)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"time":%q,"type":"error","error":%q}`, now(), err.Error()))
	}
	o.w.Write(append(b, '\n'))
}

func (o *output) listening(httpURL, udpURL, wsURL string) {
	o.line(jsonListening{Time: now(), Type: "listening", HTTP: httpURL, UDP: udpURL, WS: wsURL},
		fmt.Sprintf("http %s\nudp  %s\nws   %s", httpURL, udpURL, wsURL))
}

func (o *output) stopped() {
	o.line(jsonStopped{Time: now(), Type: "stopped"}, "stopped")
}

// ownFields are the announce's own parameters, given in fields of their
// own (info_hash and peer_id are raw bytes, not text).
var ownFields = map[string]bool{"info_hash": true, "peer_id": true}

func (o *output) announce(a announcertest.Announce) {
	params := make(map[string][]string)
	for k, vs := range a.Params {
		if !ownFields[k] {
			params[k] = vs
		}
	}
	addr := ""
	if a.Addr.IsValid() {
		addr = a.Addr.String()
	}
	key := ""
	if a.Key != 0 {
		key = fmt.Sprintf("%08x", a.Key)
	}
	o.line(jsonAnnounce{
		Time: a.Time.UTC().Format(timeFormat), Type: "announce", Protocol: a.Protocol,
		InfoHash: a.InfoHash.String(), PeerID: a.PeerID.String(), Addr: addr, Event: a.Event.String(),
		Uploaded: a.Uploaded, Downloaded: a.Downloaded, Left: a.Left, NumWant: a.NumWant, Key: key, Params: params,
	}, fmt.Sprintf("%s announce %-4s %s %s event=%s left=%d numwant=%d peer_id=%s%s",
		a.Time.Format(time.RFC3339), a.Protocol, a.InfoHash, orDash(addr), orNone(a.Event.String()), a.Left, a.NumWant,
		a.PeerID, paramText(params)))
}

func (o *output) scrape(s announcertest.Scrape) {
	hashes := make([]string, len(s.InfoHashes))
	for i, h := range s.InfoHashes {
		hashes[i] = h.String()
	}
	from := ""
	if s.From.IsValid() {
		from = s.From.String()
	}
	o.line(jsonScrape{Time: s.Time.UTC().Format(timeFormat), Type: "scrape", Protocol: s.Protocol, From: from, InfoHashes: hashes},
		fmt.Sprintf("%s scrape   %-4s %s %d torrents", s.Time.Format(time.RFC3339), s.Protocol, orDash(from), len(hashes)))
}

// paramText is the parameters other than the standard ones, for text lines.
func paramText(params map[string][]string) string {
	std := map[string]bool{"port": true, "uploaded": true, "downloaded": true, "left": true, "event": true, "numwant": true,
		"compact": true, "key": true, "action": true, "offers": true, "no_peer_id": true, "supportcrypto": true}
	var keys []string
	for k := range params {
		if !std[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	s := ""
	for _, k := range keys {
		s += " " + url.Values{k: params[k]}.Encode()
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// seedID is the peer ID of the n-th simulated peer: Azureus-style, "MT".
func seedID(n int) peer.ID {
	var id peer.ID
	copy(id[:], fmt.Sprintf("-MT0001-%012d", n))
	return id
}

// start runs the tracker as cfg says, writing to out.
func start(cfg *Config, out *output) (*announcertest.Tracker, error) {
	trk, err := announcertest.Start(announcertest.Config{
		Interval: cfg.Interval, MinInterval: cfg.MinInterval,
		HTTPAddr: cfg.HTTP, UDPAddr: cfg.UDP, WSAddr: cfg.WS,
		OnAnnounce: out.announce, OnScrape: out.scrape,
	})
	if err != nil {
		return nil, err
	}
	trk.SetFaults(cfg.Faults)
	for i, p := range cfg.Peers {
		trk.AddPeer(p.InfoHash, seedID(i), p.Addr, p.Left)
	}
	return trk, nil
}
