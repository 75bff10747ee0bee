package feed

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"unicode/utf8"
)

const (
	// maxRecordBytes bounds one CSV record (a row, quoted newlines included). The widest
	// legitimate row is a few KiB; the bound keeps a runaway quoted field from growing the
	// parser's buffer without limit, so memory stays flat whatever the file holds.
	maxRecordBytes = 1 << 20
	// readBuffer is the parser's read-ahead, also the slack the record bound allows for it.
	readBuffer = 64 << 10
)

var errRecordTooLarge = errors.New("feed: CSV record too large")

// source is the raw body on its way: counted against the size limit and hashed while
// openSource reads it through, then counted again (the sum known) on its way to the parser.
type source struct {
	r     io.Reader
	max   int64 // 0 = no limit
	n     int64
	hash  hash.Hash // nil when the sum is known beforehand (known)
	known string
	size  int64 // the body's length as openSource read it
	start int64 // where the body starts in r, for rewind
	tripd bool
}

func newSource(r io.Reader, max int64) *source {
	return &source{r: r, max: max, hash: sha256.New()}
}

func (s *source) Read(p []byte) (int, error) {
	if s.max > 0 && s.n >= s.max {
		// One byte more than allowed proves the body is too large; a body of exactly max
		// bytes ends with io.EOF here instead.
		var one [1]byte
		if k, _ := io.ReadFull(s.r, one[:]); k > 0 {
			s.tripd = true
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if s.max > 0 && int64(len(p)) > s.max-s.n {
		p = p[:s.max-s.n]
	}
	k, err := s.r.Read(p)
	s.n += int64(k)
	if s.hash != nil {
		s.hash.Write(p[:k])
	}
	return k, err
}

// sum is the hex SHA-256 of every byte read so far, or the sum hashFirst found.
func (s *source) sum() string {
	if s.hash == nil {
		return s.known
	}
	return hex.EncodeToString(s.hash.Sum(nil))
}

// rewind puts the source back at the body's start for another pass. openSource always
// leaves a seekable body behind (the request's own or the spooled file), so a feed may read
// its body twice: once on a direct path, once more on the staged path when the direct path
// hands the file on (payslips_direct.go).
func (s *source) rewind() error {
	rs, ok := s.r.(io.Seeker)
	if !ok {
		return errors.New("feed: rewind: the body cannot seek")
	}
	if _, err := rs.Seek(s.start, io.SeekStart); err != nil {
		return fmt.Errorf("feed: rewind: %w", err)
	}
	s.n = 0
	return nil
}

// openSource makes the body ready to stage with its content hash already known, so that a
// file sent again is recognised before anything is parsed or staged: it costs one read and
// hash. A seekable body (a file, a body in memory) is read through the size limit, hashed and
// rewound. Any other body (an HTTP request streaming in) cannot be read twice, so it is
// copied to a temporary file while it is hashed, bounded by max, and staged from that file.
// release closes and removes what openSource made; it is never nil.
func openSource(body io.Reader, max int64) (src *source, spooled bool, release func(), err error) {
	if src, err := hashFirst(body, max); src != nil || err != nil {
		return src, false, func() {}, err
	}
	src, release, err = spool(body, max)
	if err != nil {
		return nil, true, func() {}, err
	}
	return src, true, release, nil
}

// hashFirst reads a seekable body to its end through the size limit and hashes it, then
// rewinds it, returning the source to stage from (counting, not hashing again); nil when
// body cannot seek back.
func hashFirst(body io.Reader, max int64) (*source, error) {
	rs, ok := body.(io.ReadSeeker)
	if !ok {
		return nil, nil
	}
	start, err := rs.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, nil //nolint:nilerr // not seekable after all: spool it
	}
	sum, n, err := drain(io.Discard, rs, max)
	if err != nil {
		return nil, err
	}
	if _, err := rs.Seek(start, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind: %w", err)
	}
	return &source{r: rs, max: max, known: sum, size: n, start: start}, nil
}

// spool copies a body that cannot seek into a temporary file while hashing it. The file is
// unlinked as soon as it is open where the system allows it (Linux does), so that nothing of
// a feed (personal data) is left on disk even when the process dies; release closes it, and
// removes it where the early unlink was refused. Memory stays flat: the copy buffer is the
// only buffer, and the file sits in the page cache, not in the process.
func spool(body io.Reader, max int64) (*source, func(), error) {
	f, err := os.CreateTemp("", "speks-feed-*.csv")
	if err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	unlinked := os.Remove(f.Name()) == nil
	release := func() {
		_ = f.Close()
		if !unlinked {
			_ = os.Remove(f.Name())
		}
	}
	sum, n, err := drain(f, body, max)
	if err == nil {
		if _, err = f.Seek(0, io.SeekStart); err != nil {
			err = fmt.Errorf("spool: rewind: %w", err)
		}
	}
	if err != nil {
		release()
		return nil, nil, err
	}
	return &source{r: f, max: max, known: sum, size: n}, release, nil
}

// drain copies r to w through the size limit and returns the hex SHA-256 and the length of
// what it read.
func drain(w io.Writer, r io.Reader, max int64) (string, int64, error) {
	src := newSource(r, max)
	if _, err := io.CopyBuffer(onlyWriter{w}, src, make([]byte, 256<<10)); err != nil {
		return "", 0, err
	}
	return src.sum(), src.n, nil
}

// onlyWriter hides the writer's ReadFrom (io.Discard's, *os.File's) so that io.CopyBuffer
// uses the large buffer rather than the writer's own, smaller one.
type onlyWriter struct{ io.Writer }

// recordLimiter refuses to hand the parser more than maxRecordBytes past the start of the
// current record; the stream loop moves the window forward after every record.
type recordLimiter struct {
	r     io.Reader
	n     int64
	limit int64
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.n >= l.limit {
		return 0, errRecordTooLarge
	}
	if int64(len(p)) > l.limit-l.n {
		p = p[:l.limit-l.n]
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	return k, err
}

// csvStream reads records: UTF-8 with or without a BOM, CRLF or LF, RFC 4180 quoting
// (commas and newlines inside quotes). It checks the header against the kind's columns and
// hands each record back in the kind's column order, trimmed, with the line of each field.
type csvStream struct {
	spec    *kindSpec
	lim     *recordLimiter
	bomSkip int64
	cr      *csv.Reader
	order   []int // header position → spec column index
	vals    []string
	lines   []int
	records int
	line    int // where the last record read starts
	// nextLine is where the record after the last one read starts (blank lines aside), for
	// errors that come before the parser could report a position.
	nextLine int
}

func newCSVStream(src io.Reader, spec *kindSpec) (*csvStream, error) {
	lim := &recordLimiter{r: src, limit: maxRecordBytes + readBuffer}
	br := bufio.NewReaderSize(lim, readBuffer)
	var skip int64
	if head, _ := br.Peek(3); string(head) == "\xef\xbb\xbf" {
		if _, err := br.Discard(3); err != nil {
			return nil, err
		}
		skip = 3
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // ragged rows are reported by the stream, with their line
	cr.ReuseRecord = true
	return &csvStream{spec: spec, lim: lim, bomSkip: skip, cr: cr,
		vals: make([]string, len(spec.columns)), lines: make([]int, len(spec.columns)), nextLine: 1}, nil
}

// header reads and checks the header row. Any problem with it is fatal: without a header
// the rows cannot be read.
func (s *csvStream) header(errs *errorList) error {
	rec, err := s.cr.Read()
	if errors.Is(err, io.EOF) {
		errs.add(1, "", CodeEmptyFile, "the file is empty; a header row is required (columns: %s)", s.spec.columnList())
		return nil
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		errs.add(1, "", CodeMalformedCSV, "malformed CSV header (line %d, column %d): %v", pe.Line, pe.Column, pe.Err)
		return nil
	}
	if err != nil {
		return s.readError(err, errs)
	}
	s.advance(rec)
	seen := make([]bool, len(s.spec.columns))
	s.order = make([]int, len(rec))
	for i, raw := range rec {
		name := strings.ToLower(strings.TrimSpace(raw))
		idx := s.spec.columnIndex(name)
		switch {
		case !utf8.ValidString(raw):
			errs.add(1, "", CodeInvalidUTF8, "header field %d is not valid UTF-8", i+1)
		case idx < 0:
			errs.add(1, name, CodeUnknownColumn, "unknown column %q; the %s feed has: %s", name, s.spec.kind, s.spec.columnList())
		case seen[idx]:
			errs.add(1, name, CodeDuplicateColumn, "column %q appears twice", name)
		default:
			seen[idx] = true
		}
		s.order[i] = idx
	}
	for i, ok := range seen {
		if !ok && !s.spec.omittable(i) {
			errs.add(1, s.spec.columns[i].name, CodeMissingColumn, "column %q is missing", s.spec.columns[i].name)
		}
	}
	return nil
}

// next reads the following record into vals/lines. It returns false at the end of the
// file; a malformed record is reported and skipped (ok=false, more=true).
func (s *csvStream) next(errs *errorList) (ok, more bool, err error) {
	rec, err := s.cr.Read()
	if errors.Is(err, io.EOF) {
		return false, false, nil
	}
	s.records++
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			errs.add(pe.StartLine, "", CodeMalformedCSV, "malformed CSV (line %d, column %d): %v", pe.Line, pe.Column, pe.Err)
			s.advance(nil)
			s.nextLine = pe.Line + 1
			return false, true, nil
		}
		return false, false, s.readError(err, errs)
	}
	line, _ := s.cr.FieldPos(0)
	s.line = line
	s.advance(rec)
	if len(rec) != len(s.order) {
		errs.add(line, "", CodeRaggedRow, "this row has %d fields; the header has %d", len(rec), len(s.order))
		return false, true, nil
	}
	ok = true
	for i, field := range rec {
		col := s.order[i]
		s.lines[col], _ = s.cr.FieldPos(i)
		if !s.cleanField(col, field, errs) {
			ok = false
		}
	}
	return ok, true, nil
}

// cleanField checks what every field must be (valid UTF-8, no NUL, required, not too
// long) and stores it trimmed. Text that looks like a spreadsheet formula stays text: it is
// never evaluated here, and escaping it is the job of whatever exports it to a spreadsheet.
func (s *csvStream) cleanField(col int, field string, errs *errorList) bool {
	c := s.spec.columns[col]
	line := s.lines[col]
	switch {
	case !utf8.ValidString(field):
		errs.add(line, c.name, CodeInvalidUTF8, "not valid UTF-8 (the file must be UTF-8 encoded)")
		return false
	case strings.IndexByte(field, 0) >= 0:
		errs.add(line, c.name, CodeInvalidCharacter, "contains a NUL character")
		return false
	}
	v := strings.TrimSpace(field)
	switch {
	case v == "" && c.required:
		errs.add(line, c.name, CodeRequired, "required")
		return false
	case len(v) > c.max && utf8.RuneCountInString(v) > c.max:
		errs.add(line, c.name, CodeTooLong, "longer than %d characters", c.max)
		return false
	}
	s.vals[col] = v
	return true
}

// advance moves the record window past the record just read (nil after a malformed one):
// the next record may be up to maxRecordBytes long.
func (s *csvStream) advance(rec []string) {
	s.lim.limit = s.bomSkip + s.cr.InputOffset() + maxRecordBytes + readBuffer
	if n := len(rec); n > 0 {
		line, _ := s.cr.FieldPos(n - 1)
		s.nextLine = line + strings.Count(rec[n-1], "\n") + 1
	}
}

// readError turns a failed read into a row error when the file is at fault (a record too
// large), or returns it (body too large, connection lost).
func (s *csvStream) readError(err error, errs *errorList) error {
	if errors.Is(err, errRecordTooLarge) {
		errs.add(s.nextLine, "", CodeRecordTooLarge,
			"a record (row) is larger than %d bytes; the rest of the file was not read", maxRecordBytes)
		errs.full = true
		return nil
	}
	return err
}
