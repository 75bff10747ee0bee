package tenant

// The pool's driver and its acquire deadline: how every statement of the process's one pool
// runs inside a transaction that sets search_path first (docs/ARCHITECTURE.md "Tenant
// isolation"), save a schema-qualified single read (DB.GetQualified), and how a wait for a
// connection of the budget ends with ErrBusy.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// ---- the acquire deadline

type schemaKey struct{}
type guardKey struct{}

// qualifiedKey marks a statement that names its tables with their schema (DB.GetQualified):
// it runs as it is, in the implicit transaction of one statement, with no search_path to set.
type qualifiedKey struct{}

func qualified(ctx context.Context) bool {
	q, _ := ctx.Value(qualifiedKey{}).(bool)
	return q
}

const (
	guardWaiting int32 = iota
	guardAcquired
	guardTimedOut
)

// guard is one statement's (or transaction's) wait for a connection: the timer moves it to
// timed out unless the driver sees the connection first (acquired).
type guard struct {
	state  atomic.Int32
	timer  *time.Timer
	cancel context.CancelFunc
}

func (g *guard) acquired() error {
	if g == nil {
		return nil
	}
	if g.state.CompareAndSwap(guardWaiting, guardAcquired) {
		g.timer.Stop()
	}
	if g.state.Load() == guardTimedOut {
		return ErrBusy
	}
	return nil
}

// release ends the guard (idempotent): after the statement, its rows or its transaction.
func (g *guard) release() {
	if g == nil {
		return
	}
	g.timer.Stop()
	g.cancel()
}

// busyCtx reports ErrBusy as its error once its guard timed out, so database/sql's "waiting
// for a connection" ends with ErrBusy rather than a bare context.Canceled.
type busyCtx struct {
	context.Context
	g *guard
}

func (c busyCtx) Err() error {
	if c.g.state.Load() == guardTimedOut {
		return ErrBusy
	}
	return c.Context.Err()
}

func guardOf(ctx context.Context) *guard {
	g, _ := ctx.Value(guardKey{}).(*guard)
	return g
}

func schemaOf(ctx context.Context) string {
	if s, ok := ctx.Value(schemaKey{}).(string); ok {
		return s
	}
	return "public"
}

// ---- the driver: every statement in a transaction that sets search_path first

// connector opens lib/pq connections wrapped in pooledConn.
type connector struct{ inner driver.Connector }

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := newPooledConn(cn)
	if !ok {
		_ = cn.Close()
		return nil, fmt.Errorf("tenant: driver connection %T lacks what the pool needs", cn)
	}
	return pc, nil
}

func (c *connector) Driver() driver.Driver { return c.inner.Driver() }

// libpqConn is what pooledConn needs of a lib/pq connection. lib/pq's connection is its own
// driver.Tx: Commit and Rollback act on whatever transaction the server reports open, which
// is how one simple-protocol round trip can both BEGIN and SET LOCAL.
type libpqConn interface {
	driver.Conn
	driver.Tx
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnPrepareContext
	driver.Pinger
	driver.Validator
	driver.SessionResetter
	driver.NamedValueChecker
}

// pooledConn runs each statement that arrives outside a transaction inside one:
// "BEGIN; SET LOCAL search_path TO <schema>" (one round trip), the statement, COMMIT (or
// ROLLBACK when it failed); a query's transaction ends when its rows are closed. Transactions
// begun by the caller start with the same round trip. The schema comes from the context
// (DB binds it); without one it is public, the platform's.
type pooledConn struct {
	inner libpqConn
	inTx  bool
}

func newPooledConn(cn driver.Conn) (*pooledConn, bool) {
	inner, ok := cn.(libpqConn)
	return &pooledConn{inner: inner}, ok
}

var errPrepareOutsideTx = errors.New("tenant: prepared statements need a transaction (a transaction pooler forgets them between transactions)")

func (c *pooledConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *pooledConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if !c.inTx {
		return nil, errPrepareOutsideTx
	}
	return c.inner.PrepareContext(ctx, query)
}

func (c *pooledConn) Close() error { return c.inner.Close() }

func (c *pooledConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *pooledConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := guardOf(ctx).acquired(); err != nil {
		return nil, err
	}
	if err := c.begin(ctx, opts); err != nil {
		return nil, err
	}
	return &pooledTx{c: c, g: guardOf(ctx)}, nil
}

func (c *pooledConn) begin(ctx context.Context, opts driver.TxOptions) error {
	if c.inTx {
		return errors.New("tenant: a transaction is already open on this connection")
	}
	mode, err := beginMode(opts)
	if err != nil {
		return err
	}
	if _, err := c.inner.ExecContext(ctx, "BEGIN"+mode+"; SET LOCAL search_path TO "+pq.QuoteIdentifier(schemaOf(ctx)), nil); err != nil {
		if c.inner.IsValid() {
			_ = c.inner.Rollback() // a failed SET LOCAL leaves the transaction open
		}
		return err
	}
	c.inTx = true
	return nil
}

// end commits (or rolls back) the transaction begin opened.
func (c *pooledConn) end(commit bool) error {
	c.inTx = false
	if commit {
		return c.inner.Commit()
	}
	return c.inner.Rollback()
}

func beginMode(opts driver.TxOptions) (string, error) {
	var mode string
	switch sql.IsolationLevel(opts.Isolation) {
	case sql.LevelDefault:
	case sql.LevelReadCommitted:
		mode = " ISOLATION LEVEL READ COMMITTED"
	case sql.LevelRepeatableRead:
		mode = " ISOLATION LEVEL REPEATABLE READ"
	case sql.LevelSerializable:
		mode = " ISOLATION LEVEL SERIALIZABLE"
	default:
		return "", fmt.Errorf("tenant: isolation level %d not supported", opts.Isolation)
	}
	if opts.ReadOnly {
		mode += " READ ONLY"
	}
	return mode, nil
}

// beginLone opens the transaction of a statement that arrived outside one, once the
// statement's guard has seen the connection (ErrBusy when its wait had already timed out).
func (c *pooledConn) beginLone(ctx context.Context) (*guard, error) {
	g := guardOf(ctx)
	if err := g.acquired(); err != nil {
		return nil, err
	}
	if err := c.begin(ctx, driver.TxOptions{}); err != nil {
		return nil, err
	}
	return g, nil
}

func (c *pooledConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.inTx {
		return c.inner.QueryContext(ctx, query, args)
	}
	if qualified(ctx) { // the caller's GetQualified releases the guard
		if err := guardOf(ctx).acquired(); err != nil {
			return nil, err
		}
		return c.inner.QueryContext(ctx, query, args)
	}
	g, err := c.beginLone(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.inner.QueryContext(ctx, query, args)
	if err != nil {
		return nil, errors.Join(err, c.end(false))
	}
	return &implicitRows{Rows: rows, c: c, g: g}, nil
}

func (c *pooledConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.inTx {
		return c.inner.ExecContext(ctx, query, args)
	}
	if _, err := c.beginLone(ctx); err != nil {
		return nil, err
	}
	res, err := c.inner.ExecContext(ctx, query, args)
	if err != nil {
		return nil, errors.Join(err, c.end(false))
	}
	if err := c.end(true); err != nil {
		return nil, err
	}
	return res, nil
}

func (c *pooledConn) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

func (c *pooledConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.inner.CheckNamedValue(nv)
}

// ResetSession refuses a connection still inside a transaction: it must not reach the next
// caller with another tenant's search_path.
func (c *pooledConn) ResetSession(ctx context.Context) error {
	if c.inTx {
		return driver.ErrBadConn
	}
	return c.inner.ResetSession(ctx)
}

func (c *pooledConn) IsValid() bool { return !c.inTx && c.inner.IsValid() }

// pooledTx is a caller's transaction on a pooledConn.
type pooledTx struct {
	c *pooledConn
	g *guard
}

func (t *pooledTx) Commit() error {
	defer t.g.release()
	return t.c.end(true)
}

func (t *pooledTx) Rollback() error {
	defer t.g.release()
	return t.c.end(false)
}

// implicitRows ends the statement's own transaction when the rows are closed.
type implicitRows struct {
	driver.Rows
	c    *pooledConn
	g    *guard
	done bool
}

func (r *implicitRows) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	defer r.g.release()
	err := r.Rows.Close()
	return errors.Join(err, r.c.end(err == nil))
}

// The column-type questions database/sql may ask, answered by lib/pq's rows.
func (r *implicitRows) ColumnTypeScanType(i int) reflect.Type {
	if x, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return x.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *implicitRows) ColumnTypeDatabaseTypeName(i int) string {
	if x, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return x.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *implicitRows) ColumnTypeLength(i int) (int64, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return x.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *implicitRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return x.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}
