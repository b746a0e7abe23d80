package hlc_test

import (
	"errors"
	"fmt"
	"time"

	"spoke/hlc"
)

func ExampleClock() {
	// A fixed wall clock keeps the output stable; production passes time.Now.
	wall := time.UnixMilli(1732851234567)
	clock := hlc.New(func() time.Time { return wall }, time.Minute)

	// At start-up, restore the value persisted from Last before shutting down.
	persisted, _ := hlc.Parse("1732851234567.0004")
	clock.Observe(persisted)

	// Local changes.
	fmt.Println(clock.Now())
	fmt.Println(clock.Now())

	// A change from a device whose clock runs 2 s ahead is merged ...
	remote, _ := hlc.Parse("1732851236567.0000")
	received, _ := clock.Update(remote)
	fmt.Println(received)

	// ... but one from a device an hour ahead is refused.
	_, err := clock.Update(remote + hlc.Timestamp(time.Hour.Milliseconds()<<16))
	fmt.Println(errors.Is(err, hlc.ErrClockSkew))

	fmt.Println("persist:", clock.Last())
	// Output:
	// 1732851234567.0005
	// 1732851234567.0006
	// 1732851236567.0001
	// true
	// persist: 1732851236567.0001
}
