// Package compliance is the root of Spoke's privacy-law rules that need no database: each
// subpackage is one rule set, pure functions over dates and codes (deadline: the legal clocks
// of data-subject requests). They never import the store, a front end or anything that does
// I/O, so every rule is tested on its own, table by table, and the store only asks them.
package compliance
