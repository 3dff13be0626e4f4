package goroutines

import "sync"

// Group is the goroutines of one owner. Go, Closed and Close are called
// with the owner's lock held; Wait without it (the goroutines may take it).
// The zero Group is open and empty.
type Group struct {
	closed bool
	wg     sync.WaitGroup
}

// Go runs fn on a new goroutine that Wait waits for, and reports true.
// Once the group is closed it runs nothing and reports false: Add happens
// only before Close, under the owner's lock, so never during Wait.
func (g *Group) Go(fn func()) bool {
	if g.closed {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn()
	}()
	return true
}

// Closed reports whether the group was closed.
func (g *Group) Closed() bool { return g.closed }

// Close makes Go refuse from now on. It reports whether this call closed
// the group (false: it was closed already).
func (g *Group) Close() bool {
	first := !g.closed
	g.closed = true
	return first
}

// Wait waits for every goroutine Go started. After Close, none starts
// while it waits.
func (g *Group) Wait() { g.wg.Wait() }
