//go:build race

package hub_test

// raceEnabled scales the load test down: the race detector slows every
// memory access several times over.
const raceEnabled = true
