// Package sim holds trackerkit's simulation test: the promises of the
// announcer (issue 11) checked together, in virtual time, against trackers
// that misbehave, in the spirit of libtorrent's simulation suite.
//
// TestSimulation runs, in one testing/synctest bubble, a Client with many
// Sessions (one per torrent slot) whose tiers mix UDP, HTTP and WebSocket
// trackers. The trackers are internal/mocktracker instances served over
// internal/memnet (datagrams for UDP, in-memory stream connections for HTTP
// and WebSocket), with the real transports of transport/udp, transport/http
// and transport/webrtc on the client side. For the simulated time, each
// tracker goes through a seeded schedule of fault epochs (healthy, slow,
// lossy, dead, failing, "retry in", gone, reconnecting), and each torrent
// slot through a seeded life: Start, Update, Complete, Stop, and a new
// Session for the same torrent some time later. Shortly before the end
// every tracker is healthy again, and Client.Shutdown stops what still
// runs.
//
// The invariants are then checked from the trackers' own announce logs
// (mocktracker.Config.OnAnnounce) and the Sessions' events:
//
//   - stopped: a tracker that has us registered when a Session stops, and is
//     healthy around the stop, receives "stopped" (or, for WebSocket, the
//     socket closed, which counts as stopped);
//   - completed: "completed" reaches each tracker at most once per Session,
//     never from a Session that did not download, and exactly once when the
//     download finished during the Session, the tracker had acknowledged
//     "started", and the Session announced to it after Complete;
//   - min interval: no plain (event-less) announce comes sooner than the
//     tracker's min interval (at least Config.IntervalFloor) after the last
//     reply the Session received from it;
//   - backoff: each ErrorEvent's NextTry lies within the documented bounds
//     (RetryMin doubling, jittered by ±50%, capped at RetryMax; or the
//     tracker's "retry in"), and the tracker hears nothing from the Session
//     before it;
//   - give-up: a tracker the Session gave up (HTTP 410, WebSocket 410) hears
//     nothing more from that Session;
//   - after Stop: no tracker hears from a Session after its Stop returned;
//   - goroutines: after Shutdown and the transports' Close, the goroutine
//     count is back to what it was before the world was built (and the
//     bubble ends with none left; goleak checks the package).
//
// The seed decides the whole scenario (the faults, their times, every
// torrent's life, the tiers): a failing run prints it, and
//
//	go test ./internal/sim -run TestSimulation -sim.seed=N
//
// (or TRACKERKIT_SIM_SEED=N) replays it. The interleaving of goroutines and
// the library's own randomness (jitter, keys, transaction IDs) are not
// seeded, so a replay reproduces the scenario, not every tick of it.
//
// The short run (a few seconds of CPU) is part of the normal suite. The long
// one, 1,000 Sessions for 48 simulated hours, runs with -sim.long (or
// TRACKERKIT_SIM_LONG=1); -sim.sessions and -sim.hours set other sizes. It
// prints its figures with -v.
package sim
