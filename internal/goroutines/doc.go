// Package goroutines counts the goroutines an owner (a Transport, the mock
// tracker) starts, so that the owner's Close refuses new ones and then
// waits for every running one, without WaitGroup.Add ever racing Wait.
//
// A Group has no lock of its own: the owner's lock guards it, as it guards
// the state those goroutines work on, so that "closed" is one flag, read
// and set together with the rest (a socket map, a list of stop functions).
package goroutines
