package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trackerkit/trackerkit/announcer"
	"github.com/trackerkit/trackerkit/peer"
	"github.com/trackerkit/trackerkit/transport"
)

// viaSessions announces every hash once through trackerkit's public API:
// one Client, one Session per torrent on announceURL, one consumer
// goroutine per Session reading every event. A torrent counts once its
// UpdateEvent and the PeerEvent with that reply's peers have been read. The
// clock runs from the first Start to the last such event; the Sessions and
// consumers are made before it starts.
//
// After the phase, with every Session idle until its next interval, it
// measures the heap per idle (Session, tracker) pair: the heap then, minus
// the heap after Client.Close, each after GC.
func viaSessions(ctx context.Context, announceURL string, hashes []transport.InfoHash, who peerSpec, inflight int) (phase, error) {
	c, err := announcer.NewClient(announcer.Config{PeerID: who.id, Port: who.port, MaxAnnouncesPerTracker: inflight})
	if err != nil {
		return phase{}, err
	}
	defer c.Close()
	left := who.left
	opts := announcer.SessionOptions{Stats: func() announcer.Stats { return announcer.Stats{Left: left} }}
	sessions := make([]*announcer.Session, len(hashes))
	for i, h := range hashes {
		s, err := c.NewSession(announcer.Torrent{InfoHash: h, Tiers: [][]string{{announceURL}}}, opts)
		if err != nil {
			return phase{}, err
		}
		sessions[i] = s
	}
	var answered sync.WaitGroup
	answered.Add(len(sessions))
	var consumers sync.WaitGroup
	var peers, failures atomic.Int64
	for _, s := range sessions {
		consumers.Add(1)
		go func() {
			defer consumers.Done()
			consume(s.Events(), &answered, &peers, &failures)
		}()
	}
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	for _, s := range sessions {
		if err := s.Start(ctx); err != nil {
			return phase{}, err
		}
	}
	all := make(chan struct{})
	go func() { answered.Wait(); close(all) }()
	select {
	case <-all:
	case <-ctx.Done():
		c.Close()
		consumers.Wait()
		return phase{}, fmt.Errorf("trackerkit: %w (%d failed attempts)", ctx.Err(), failures.Load())
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&m1)
	res := phase{
		elapsed: elapsed, n: len(sessions),
		peers:   float64(peers.Load()) / float64(len(sessions)),
		mallocs: float64(m1.Mallocs-m0.Mallocs) / float64(len(sessions)),
		errors:  int(failures.Load()),
	}

	var idle, closed runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&idle)
	c.Close()
	consumers.Wait()
	clear(sessions)
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&closed)
	res.idlePair = float64(int64(idle.HeapAlloc)-int64(closed.HeapAlloc)) / float64(len(hashes))
	runtime.KeepAlive(sessions)
	return res, nil
}

// consume reads every event of one Session until its channel closes. It
// marks the torrent answered when the first reply's events are in: the
// UpdateEvent, and the PeerEvent that follows it when the reply had peers.
func consume(events <-chan announcer.Event, answered *sync.WaitGroup, peers, failures *atomic.Int64) {
	updated, done := false, false
	finish := func() {
		if !done {
			done = true
			answered.Done()
		}
	}
	for ev := range events {
		switch e := ev.(type) {
		case announcer.UpdateEvent:
			if !updated {
				updated = true
				if e.Peers == 0 {
					finish()
				}
			}
		case announcer.PeerEvent:
			if updated && !done {
				peers.Add(int64(len(e.Peers)))
				finish()
			}
			closeConns(e.Peers)
		case announcer.ErrorEvent:
			failures.Add(1)
		}
	}
	finish() // closed early (the run is being abandoned)
}

func closeConns(ps []peer.Peer) {
	for _, p := range ps {
		if p.Conn != nil {
			p.Conn.Close()
		}
	}
}
