package csvimport

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

var update = flag.Bool("update", false, "rewrite generated files under testdata/")

// chineseCSV is the content of testdata/gbk_chinese.csv before encoding, in
// the layout Excel on Chinese Windows writes: GBK, CRLF, Chinese headers.
const chineseCSV = "姓名,手机,邮箱,地址,备注\r\n" +
	"王芳,138 0013 8000,WangFang@Example.cn,北京市朝阳区建国路88号,喜欢公路车，每年春天保养\r\n" +
	"李伟,+86 139 1234 5678,,上海市浦东新区,\r\n"

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encoding test data as GBK: %v", err)
	}
	return b
}

// TestGBKFixture keeps the saved GBK file identical to what the encoder
// produces, so the file under testdata is known to be real GBK.
func TestGBKFixture(t *testing.T) {
	path := filepath.Join("testdata", "gbk_chinese.csv")
	want := gbk(t, chineseCSV)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGBKFixture -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the GBK encoding of chineseCSV; run with -update", path)
	}
	if utf8Valid := bytes.Equal(got, []byte(chineseCSV)); utf8Valid {
		t.Fatal("fixture is not encoded")
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	chineseRows := []Row{
		{Line: 2, Name: "王芳", Email: "wangfang@example.cn", Phone: "+8613800138000", Address: "北京市朝阳区建国路88号", Notes: "喜欢公路车，每年春天保养"},
		{Line: 3, Name: "李伟", Phone: "+8613912345678", Address: "上海市浦东新区"},
	}
	tests := []struct {
		name  string
		file  string // under testdata/; or
		data  func(t testing.TB) []byte
		opts  Options
		err   error
		rows  []Row
		errs  []LineError
		conv  string
		ignor []string
	}{
		{
			name: "our header", file: "standard.csv", opts: Options{Region: "GB"},
			rows: []Row{
				{Line: 2, Name: "Anna Berg", Email: "anna.berg@example.com", Phone: "+447700900123", Address: "1 High Street, Oxford OX1 1AA", Notes: "Prefers morning appointments", BikeMake: "Brompton", BikeModel: "C Line", BikeSerial: "WTU1234567"},
				{Line: 3, Name: "Ben Okafor", Email: "ben@example.org", Phone: "+442079460958", Notes: "Tubeless setup\n\tcheck every 3 months", BikeMake: "Trek", BikeModel: "Domane"},
				{Line: 7, Name: "Chloé Martin"},
			},
		},
		{
			name: "first and last name", file: "first_last.csv", opts: Options{Region: "US"},
			rows: []Row{
				{Line: 2, Name: "Dana Reyes", Email: "dana.reyes@example.com", Phone: "+16502530000", Address: "1600 Amphitheatre Pkwy, Mountain View, CA, 94043, USA"},
				{Line: 3, Name: "Kowalski", Phone: "+48512345678"},
				{Line: 4, Name: "Eli", Email: "eli@example.com"},
			},
			ignor: []string{"Tags", "Accepts Marketing"},
		},
		{
			name: "semicolon excel export with BOM", file: "excel_semicolon_bom.csv", opts: Options{Region: "DE"},
			rows: []Row{
				{Line: 2, Name: "Jörg Müller", Email: "joerg.mueller@example.de", Phone: "+4915112345678", Address: "Hauptstraße 1, Berlin, 10115", Notes: "Kette; Ritzel getauscht", BikeMake: "Cube", BikeModel: "Attention", BikeSerial: "WCU8812345"},
				{Line: 3, Name: "Ärzte Gemeinschaft", Phone: "+49301234567"},
			},
		},
		{
			name: "GBK Chinese file", file: "gbk_chinese.csv", opts: Options{Region: "CN"},
			rows: chineseRows, conv: "GB18030",
		},
		{
			name: "GBK Chinese generated", opts: Options{Region: "CN"},
			data: func(t testing.TB) []byte { return gbk(t, chineseCSV) },
			rows: chineseRows, conv: "GB18030",
		},
		{
			name: "UTF-8 Chinese is not converted", opts: Options{Region: "CN"},
			data: func(testing.TB) []byte { return []byte(chineseCSV) },
			rows: chineseRows,
		},
		{name: "UTF-16 with BOM refused", file: "utf16le_bom.csv", err: ErrUTF16},
		{
			name: "UTF-16 big endian without BOM refused", err: ErrUTF16,
			data: func(t testing.TB) []byte {
				b, err := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte("name\nAnna\n"))
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
		},
		{name: "Windows-1252 refused, not mistaken for GBK", file: "windows1252.csv", err: ErrNotUTF8},
		{
			name: "Windows-1252 generated refused", err: ErrNotUTF8,
			data: func(t testing.TB) []byte {
				b, err := charmap.Windows1252.NewEncoder().Bytes([]byte("Name,Notes\nJörg Müller,Größe 56\n"))
				if err != nil {
					t.Fatal(err)
				}
				return b
			},
		},
		{
			name: "ragged rows", file: "ragged.csv",
			errs: []LineError{
				{Line: 3, Column: "*", Reason: "has 2 fields, header has 4"},
				{Line: 4, Column: "*", Reason: "has 5 fields, header has 4"},
			},
		},
		{
			name: "ragged rows skipped", file: "ragged.csv", opts: Options{SkipInvalid: true},
			rows: []Row{
				{Line: 2, Name: "Anna Berg", Email: "anna@example.com", Notes: "ok"},
				{Line: 5, Name: "Dana Reyes", Email: "dana@example.com"},
			},
			errs: []LineError{
				{Line: 3, Column: "*", Reason: "has 2 fields, header has 4"},
				{Line: 4, Column: "*", Reason: "has 5 fields, header has 4"},
			},
		},
		{
			name: "bad e-mails", file: "bad_emails.csv", opts: Options{SkipInvalid: true},
			rows: []Row{
				{Line: 2, Name: "Anna Berg", Email: "anna@example.com"},
				{Line: 7, Name: "Fay Wu", Email: "fay@example.com"},
			},
			errs: []LineError{
				{Line: 3, Column: "email", Reason: reasonEmail},
				{Line: 4, Column: "email", Reason: reasonEmail},
				{Line: 5, Column: "email", Reason: reasonEmail},
				{Line: 6, Column: "email", Reason: reasonEmail},
			},
		},
		{
			name: "duplicates", file: "duplicate_emails.csv", opts: Options{Region: "GB", SkipInvalid: true},
			rows: []Row{
				{Line: 2, Name: "Anna Berg", Email: "anna@example.com", Phone: "+447700900123", BikeSerial: "WTU1234567"},
				{Line: 6, Name: "Dana Reyes", Email: "dana@example.com"},
			},
			errs: []LineError{
				{Line: 3, Column: "email", Reason: "duplicate of line 2"},
				{Line: 4, Column: "phone", Reason: "duplicate of line 2"},
				{Line: 5, Column: "bike_serial", Reason: "duplicate of line 2"},
			},
		},
		{
			name: "missing name", file: "missing_name.csv", opts: Options{Region: "GB"},
			errs: []LineError{
				{Line: 3, Column: "name", Reason: reasonNameMissing},
				{Line: 4, Column: "name", Reason: reasonNameMissing},
			},
		},
		{name: "empty file", file: "empty.csv", err: ErrEmpty},
		{name: "BOM only", data: func(testing.TB) []byte { return []byte("\xef\xbb\xbf \r\n") }, err: ErrEmpty},
		{name: "header only", file: "header_only.csv"},
		{name: "no header", file: "no_header.csv", err: ErrNoHeader},
		{name: "duplicate header", file: "duplicate_header.csv", err: ErrDuplicateColumn},
		{
			name: "bad quote stops reading", file: "bad_quote.csv", opts: Options{SkipInvalid: true},
			rows: []Row{{Line: 2, Name: "Anna Berg", Notes: "fine"}},
			errs: []LineError{{Line: 3, Column: "*", Reason: reasonBareQuote}},
		},
		{
			name: "unclosed quote", opts: Options{SkipInvalid: true},
			data: func(testing.TB) []byte { return []byte("name,notes\nAnna,\"open\nBen,x\n") },
			errs: []LineError{{Line: 2, Column: "*", Reason: reasonQuote}},
		},
		{
			name: "tab separated", file: "tabs.tsv", opts: Options{Region: "GB"},
			rows: []Row{
				{Line: 2, Name: "Anna Berg", Phone: "+447700900123", BikeMake: "Brompton", BikeSerial: "AB/1234"},
				{Line: 3, Name: "Ben Okafor", Email: "ben@example.org"},
			},
		},
		{
			name: "control characters", file: "control_chars.csv", opts: Options{SkipInvalid: true},
			rows: []Row{{Line: 3, Name: "Ben Okafor", Notes: "tab\tand\nnewline are fine", BikeMake: "Cube"}},
			errs: []LineError{
				{Line: 2, Column: "name", Reason: reasonControl},
				{Line: 5, Column: "notes", Reason: reasonControl},
				{Line: 6, Column: "name", Reason: reasonControl},
				{Line: 7, Column: "bike_make", Reason: reasonControl},
			},
		},
		{
			name: "phone without country code and no region", opts: Options{SkipInvalid: true},
			data: func(testing.TB) []byte { return []byte("name,phone\nAnna,07700 900123\nBen,+44 7700 900124\n") },
			rows: []Row{{Line: 3, Name: "Ben", Phone: "+447700900124"}},
			errs: []LineError{{Line: 2, Column: "phone", Reason: reasonPhoneNoRegion}},
		},
		{
			name: "bad phone and serial, all problems of a line", opts: Options{Region: "US"},
			data: func(testing.TB) []byte { return []byte("name,phone,serial\n,=1+2,ab_12\n") },
			errs: []LineError{
				{Line: 2, Column: "name", Reason: reasonNameMissing},
				{Line: 2, Column: "phone", Reason: reasonPhone},
				{Line: 2, Column: "bike_serial", Reason: reasonSerial},
			},
		},
		{
			name: "formula cells kept verbatim", opts: Options{Region: "US"},
			data: func(testing.TB) []byte {
				return []byte("name,notes,phone\n\"=HYPERLINK(\"\"x\"\")\",@SUM(A1),+44 7700 900123\n-2+3,,\n")
			},
			rows: []Row{{Line: 2, Name: `=HYPERLINK("x")`, Notes: "@SUM(A1)", Phone: "+447700900123"}, {Line: 3, Name: "-2+3"}},
		},
		{
			name: "length limits",
			data: func(testing.TB) []byte {
				return []byte("name,address,notes,make,model\n" +
					strings.Repeat("n", 201) + "," + strings.Repeat("a", 501) + "," + strings.Repeat("x", 4001) + "," + strings.Repeat("m", 101) + "," + strings.Repeat("o", 101) + "\n" +
					strings.Repeat("名", 200) + "," + strings.Repeat("址", 500) + "," + strings.Repeat("注", 4000) + "," + strings.Repeat("m", 100) + ",\n")
			},
			errs: []LineError{
				{Line: 2, Column: "name", Reason: "is longer than 200 characters"},
				{Line: 2, Column: "address", Reason: "is longer than 500 characters"},
				{Line: 2, Column: "notes", Reason: "is longer than 4000 characters"},
				{Line: 2, Column: "bike_make", Reason: "is longer than 100 characters"},
				{Line: 2, Column: "bike_model", Reason: "is longer than 100 characters"},
			},
		},
		{
			name: "header spellings", opts: Options{Region: "CN"},
			data: func(testing.TB) []byte {
				return []byte(" 姓名 ,电话,E_Mail,地址,备注,Bike-Serial,Customer ID\n张伟,13800138000,zw@example.cn,广州,,WTU 1,42\n")
			},
			// A customer id column without a known signature is not read unless the system is named.
			rows:  []Row{{Line: 2, Name: "张伟", Phone: "+8613800138000", Email: "zw@example.cn", Address: "广州", BikeSerial: "WTU1"}},
			ignor: []string{"Customer ID"},
		},
		{
			name: "a generic id column is read once the system is named", opts: Options{Region: "CN", System: "csv"},
			data: func(testing.TB) []byte { return []byte("姓名,Customer ID\n张伟,42\n") },
			rows: []Row{{Line: 2, Name: "张伟", Source: "csv:42"}},
		},
		{
			name: "multi-line address kept, not refused",
			data: func(testing.TB) []byte {
				return []byte("name,address,city\r\nAnn Lee,\"12 Mill Lane\r\n\r\n  York YO1 7HH\",York\r\nBo Lin,\"Flat 3\tRiverside\",\r\n")
			},
			rows: []Row{{Line: 2, Name: "Ann Lee", Address: "12 Mill Lane, York YO1 7HH, York"}, {Line: 5, Name: "Bo Lin", Address: "Flat 3 Riverside"}},
		},
		{
			name: "a family in one export: one e-mail, two ids", opts: Options{System: "Square", SkipInvalid: true},
			data: func(testing.TB) []byte {
				return []byte("id,name,email\nA1,Ann Lee,lee.family@example.com\nA2,Bo Lee,lee.family@example.com\nA1,Cy Lee,\n")
			},
			rows: []Row{{Line: 2, Name: "Ann Lee", Email: "lee.family@example.com", Source: "square:A1"}, {Line: 3, Name: "Bo Lee", Email: "lee.family@example.com", Source: "square:A2"}},
			errs: []LineError{{Line: 4, Column: "source_id", Reason: "duplicate of line 2"}},
		},
		{name: "bad system name", opts: Options{System: "my pos"}, err: ErrBadSystem, data: func(testing.TB) []byte { return []byte("id,name\n1,Ann\n") }},
		{
			name: "too many rows", opts: Options{MaxRows: 2}, err: ErrTooManyRows,
			data: func(testing.TB) []byte { return []byte("name\na\n\nb\nc\n") },
		},
		{
			name: "blank lines do not count as rows", opts: Options{MaxRows: 2},
			data: func(testing.TB) []byte { return []byte("name\na\n\n \n,\nb\n") },
			rows: []Row{{Line: 2, Name: "a"}, {Line: 6, Name: "b"}},
		},
		{
			name: "unknown region", opts: Options{Region: "XX"}, err: ErrUnknownRegion,
			data: func(testing.TB) []byte { return []byte("name\na\n") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []byte
			if tt.file != "" {
				in = readTestdata(t, tt.file)
			} else {
				in = tt.data(t)
			}
			res, err := Parse(bytes.NewReader(in), tt.opts)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || res != nil {
					t.Fatalf("got (%v, %v), want error %v", res, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(res.Rows, tt.rows) {
				t.Errorf("rows:\n got %+v\nwant %+v", res.Rows, tt.rows)
			}
			if !reflect.DeepEqual(res.Errors, tt.errs) {
				t.Errorf("errors:\n got %+v\nwant %+v", res.Errors, tt.errs)
			}
			if res.Converted != tt.conv {
				t.Errorf("converted = %q, want %q", res.Converted, tt.conv)
			}
			if !reflect.DeepEqual(res.Ignored, tt.ignor) {
				t.Errorf("ignored = %q, want %q", res.Ignored, tt.ignor)
			}
		})
	}
}

// TestNoRowsWithoutSkipInvalid: a file with any bad line imports nothing
// unless the caller asked for the good rows.
func TestNoRowsWithoutSkipInvalid(t *testing.T) {
	res, err := Parse(bytes.NewReader(readTestdata(t, "bad_emails.csv")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != nil || len(res.Errors) != 4 {
		t.Fatalf("got %d rows and %d errors, want 0 and 4", len(res.Rows), len(res.Errors))
	}
}

func TestLineErrorString(t *testing.T) {
	for _, tt := range []struct {
		e    LineError
		want string
	}{
		{LineError{7, "email", reasonEmail}, "line 7, column email: not a valid e-mail address"},
		{LineError{3, "*", "has 2 fields, header has 4"}, "line 3: has 2 fields, header has 4"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestDuplicateColumnMessage(t *testing.T) {
	_, err := Parse(bytes.NewReader(readTestdata(t, "duplicate_header.csv")), Options{})
	want := "two columns hold the same information; remove one and try again (columns 2 and 3 both hold the phone number)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

// BenchmarkParse measures a typical export: most of the time goes to
// phone number parsing.
func BenchmarkParse(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("name,email,phone,address,notes,bike_make,bike_model,bike_serial\n")
	for i := range 10_000 {
		fmt.Fprintf(&buf, "Customer %d,c%d@example.com,07700 %06d,\"%d High Street, Oxford\",note,Trek,Domane,WTU%07d\n", i, i, i, i, i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := Parse(bytes.NewReader(data), Options{Region: "GB"})
		if err != nil || len(res.Errors) != 0 {
			b.Fatal(err, res.Errors[:1])
		}
	}
}
