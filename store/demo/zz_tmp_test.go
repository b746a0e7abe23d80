package demo

import (
	"fmt"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

func TestTmpDump(t *testing.T) {
	t0 := time.Now()
	c := Generate(Options{Customers: 100000, Seed: 1})
	fmt.Println("gen", time.Since(t0), c.Counts())
	bad := 0
	regions := map[string]string{}
	for _, s := range c.Shops { regions[s.Key] = s.Region }
	for _, cu := range c.Customers {
		num, err := phonenumbers.Parse(cu.Phone, "")
		if err != nil || !phonenumbers.IsValidNumber(num) || phonenumbers.GetRegionCodeForNumber(num) != regions[cu.ShopKey] {
			bad++
			if bad < 10 { fmt.Println("bad phone", cu.Phone, err) }
		}
	}
	fmt.Println("bad phones", bad)
	for _, s := range c.Shops { fmt.Printf("%+v\n", s) }
	for _, s := range c.Staff { fmt.Printf("%+v\n", s) }
	for i := 0; i < 100000; i += 9973 { fmt.Printf("%+v\n", c.Customers[i]) }
	for i := 0; i < len(c.WorkOrders); i += 6007 { fmt.Printf("%+v\n", c.WorkOrders[i]) }
	for i := 0; i < len(c.Sales); i += 20011 { fmt.Printf("%+v\n", c.Sales[i]) }
}
