package backup

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"spoke/demo"
	"spoke/store"
)

// Benchmarks on a demo database (100k customers; SPOKE_BENCH_CUSTOMERS overrides), each beside
// a plain baseline in the same run: copying the database file, or VACUUM INTO alone.
//
//	go test ./store/backup/ -run '^$' -bench . -benchtime 3x -timeout 60m

var (
	benchOnce sync.Once
	benchEnv  *env
)

func benchSetup(b *testing.B) *env {
	benchOnce.Do(func() {
		n := 100_000
		if v, err := strconv.Atoi(os.Getenv("SPOKE_BENCH_CUSTOMERS")); err == nil && v > 0 {
			n = v
		}
		ctx := context.Background()
		root, _ := os.MkdirTemp("", "spoke-backup-bench-")
		ch := demo.Generate(demo.Options{Customers: n, Seed: 1})
		var owner demo.Staff
		for _, s := range ch.Staff {
			if s.Role == "owner" {
				owner = s
			}
		}
		st, code, err := store.Create(ctx, filepath.Join(root, "data"), store.CreateOptions{ShopName: ch.Shops[0].Name, Region: ch.Shops[0].Region,
			OwnerUsername: owner.Username, OwnerPassword: owner.Password}, store.Options{Passphrase: "bench pass", KDF: fastKDF})
		if err != nil {
			panic(err)
		}
		ss, err := st.SignIn(ctx, owner.Username, owner.Password)
		if err != nil {
			panic(err)
		}
		if _, err := demo.Load(ctx, ss, ch, nil); err != nil {
			panic(err)
		}
		shops, _ := ss.Shops(ctx)
		benchEnv = &env{st: st, ss: ss, code: code, data: filepath.Join(root, "data"), bdir: filepath.Join(root, "usb"), shop: shops[0].ID}
	})
	return benchEnv
}

func dirSize(dir string) int64 {
	var n int64
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		if fi, err := f.Info(); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func BenchmarkFullBackup(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	b.Run("spoke", func(b *testing.B) {
		for b.Loop() {
			dir := b.TempDir()
			if _, err := Backup(ctx, e.ss, dir, Options{Kind: Full, NoDrill: true}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(dirSize(dir))/1e6, "MB")
		}
	})
	b.Run("vacuum-into-baseline", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.ss.BackupSnapshot(ctx, filepath.Join(b.TempDir(), "copy.db")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("file-copy-baseline", func(b *testing.B) {
		for b.Loop() {
			copyFile(b, filepath.Join(e.data, store.DBFile), filepath.Join(b.TempDir(), "copy.db"))
		}
	})
}

// BenchmarkFullBackupWithDrill is a full backup as the scheduler takes it: the backup, then its
// restore drill.
func BenchmarkFullBackupWithDrill(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	b.Run("spoke", func(b *testing.B) {
		for b.Loop() {
			if _, err := Backup(ctx, e.ss, b.TempDir(), Options{Kind: Full}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("file-copy-baseline", func(b *testing.B) {
		for b.Loop() {
			copyFile(b, filepath.Join(e.data, store.DBFile), filepath.Join(b.TempDir(), "copy.db"))
		}
	})
}

// BenchmarkIncrementalWithDrill is an hourly incremental with its drill, over a full whose
// drill passed: the drill checks the incremental's own file (O(change)).
func BenchmarkIncrementalWithDrill(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	dir := b.TempDir()
	if _, err := Backup(ctx, e.ss, dir, Options{Kind: Full}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		addCustomers(b, e, 100)
		b.StartTimer()
		if _, err := Backup(ctx, e.ss, dir, Options{Kind: Incremental}); err != nil {
			b.Fatal(err)
		}
	}
}

func addCustomers(b *testing.B, e *env, n int) {
	for i := 0; i < n; i++ {
		if _, err := e.ss.CreateCustomer(context.Background(), store.CustomerInput{Name: fmt.Sprintf("Inc %d", i), Email: fmt.Sprintf("inc%d@example.com", i), Phone: "+1 415 555 0100", Notes: "n", ShopID: e.shop}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIncrementalAfter1000Changes(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	dir := b.TempDir()
	if _, err := Backup(ctx, e.ss, dir, Options{Kind: Full, NoDrill: true}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		for i := 0; i < 100; i++ { // 100 customers x ~12 fields = ~1,200 field changes, 100 rows
			if _, err := e.ss.CreateCustomer(ctx, store.CustomerInput{Name: fmt.Sprintf("Inc %d", i), Email: fmt.Sprintf("inc%d@example.com", i), Phone: "+1 415 555 0100", Notes: "n", ShopID: e.shop}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		r, err := Backup(ctx, e.ss, dir, Options{Kind: Incremental, NoDrill: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(r.Manifest.Snapshot.ChangeSeq-r.Manifest.FromChangeSeq), "row-versions")
		b.ReportMetric(float64(r.Manifest.Files[0].Size)/1e3, "kB")
	}
}

func BenchmarkRestore(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	dir := b.TempDir()
	if _, err := Backup(ctx, e.ss, dir, Options{Kind: Full, NoDrill: true}); err != nil {
		b.Fatal(err)
	}
	if _, err := e.ss.CreateCustomer(ctx, store.CustomerInput{Name: "After full", ShopID: e.shop}); err != nil {
		b.Fatal(err)
	}
	if _, err := Backup(ctx, e.ss, dir, Options{Kind: Incremental, NoDrill: true}); err != nil {
		b.Fatal(err)
	}
	b.Run("spoke", func(b *testing.B) {
		for b.Loop() {
			if _, err := Restore(ctx, dir, filepath.Join(b.TempDir(), "r"), Credentials{RecoveryCode: e.code}, RestoreOptions{NoReapply: true, Store: store.Options{KDF: fastKDF}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("file-copy-baseline", func(b *testing.B) {
		for b.Loop() {
			copyFile(b, filepath.Join(e.data, store.DBFile), filepath.Join(b.TempDir(), "copy.db"))
		}
	})
}

func copyFile(b *testing.B, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	out.Sync()
	out.Close()
}

// BenchmarkFormatsInterleaved times the version 1 path and the version 2 path of a full backup
// and of a restore one after the other in every iteration, beside a file copy, so the shared
// machine's load falls on all three alike. Version 1's backup is what Backup did before: VACUUM
// INTO a scratch file, hash it, encrypt it uncompressed; its restore reads a folder rewritten in
// format 1 (toFormat1).
func BenchmarkFormatsInterleaved(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	v1, v2 := b.TempDir(), b.TempDir()
	for _, dir := range []string{v1, v2} {
		if _, err := Backup(ctx, e.ss, dir, Options{Kind: Full, NoDrill: true}); err != nil {
			b.Fatal(err)
		}
	}
	k, err := e.ss.BackupKeys(ctx, store.OpBackup, "backup.bench")
	if err != nil {
		b.Fatal(err)
	}
	bk, _, err := openFolder(ctx, k, v1)
	if err != nil {
		b.Fatal(err)
	}
	ms, err := listManifests(v1, bk)
	if err != nil {
		b.Fatal(err)
	}
	toFormat1(b, v1, ms[0], bk)
	var t1, t2, tc, r1, r2, rc time.Duration
	timed := func(d *time.Duration, f func()) {
		start := time.Now()
		f()
		*d += time.Since(start)
	}
	var size1, size2 int64
	for b.Loop() {
		timed(&t1, func() {
			dir := b.TempDir()
			plain := filepath.Join(dir, "part.db")
			if _, err := e.ss.BackupSnapshot(ctx, plain); err != nil {
				b.Fatal(err)
			}
			src, err := os.Open(plain)
			if err != nil {
				b.Fatal(err)
			}
			dst, _ := os.Create(filepath.Join(dir, "x.data"))
			cw := newHashWriter(dst)
			if err := encryptStream(cw, src, bk, fileAD("x", "x.data")); err != nil {
				b.Fatal(err)
			}
			dst.Sync()
			dst.Close()
			src.Close()
			size1 = cw.n
		})
		timed(&t2, func() {
			r, err := Backup(ctx, e.ss, b.TempDir(), Options{Kind: Full, NoDrill: true})
			if err != nil {
				b.Fatal(err)
			}
			size2 = r.Manifest.Files[0].Size
		})
		timed(&tc, func() { copyFile(b, filepath.Join(e.data, store.DBFile), filepath.Join(b.TempDir(), "copy.db")) })
		for _, x := range []struct {
			dir string
			d   *time.Duration
		}{{v1, &r1}, {v2, &r2}} {
			timed(x.d, func() {
				if _, err := Restore(ctx, x.dir, filepath.Join(b.TempDir(), "r"), Credentials{RecoveryCode: e.code}, RestoreOptions{NoReapply: true, Store: store.Options{KDF: fastKDF}}); err != nil {
					b.Fatal(err)
				}
			})
		}
		timed(&rc, func() { copyFile(b, filepath.Join(e.data, store.DBFile), filepath.Join(b.TempDir(), "copy.db")) })
	}
	n := float64(b.N)
	b.ReportMetric(t1.Seconds()/n, "backup-v1-s")
	b.ReportMetric(t2.Seconds()/n, "backup-v2-s")
	b.ReportMetric(tc.Seconds()/n, "copy-s")
	b.ReportMetric(t1.Seconds()/tc.Seconds(), "backup-v1/copy")
	b.ReportMetric(t2.Seconds()/tc.Seconds(), "backup-v2/copy")
	b.ReportMetric(r1.Seconds()/n, "restore-v1-s")
	b.ReportMetric(r2.Seconds()/n, "restore-v2-s")
	b.ReportMetric(r1.Seconds()/rc.Seconds(), "restore-v1/copy")
	b.ReportMetric(r2.Seconds()/rc.Seconds(), "restore-v2/copy")
	b.ReportMetric(float64(size1)/1e6, "v1-MB")
	b.ReportMetric(float64(size2)/1e6, "v2-MB")
}
