import GRDB
import GRDBSQLite

/// The row a statement stands on, read by column position straight from SQLite. GRDB's `Row` builds a
/// dictionary of lowercased column names for every query it reads (about 15 % of a game page's time in
/// process); the queries here know their columns' order, so they need none of it. Valid only inside the
/// closure it is passed to, while the statement stays on the row.
struct LiveRow {
    let statement: SQLiteStatement

    /// The value of column `index` (from 0). NULL is a value only for an optional `V`; a NULL or a value
    /// SQLite cannot give as `V` throws, so a schema that drifted from a query is an error, not a crash.
    subscript<V: StatementColumnConvertible>(_ index: Int32) -> V {
        get throws {
            guard index >= 0, index < sqlite3_column_count(statement) else {
                throw DatabaseError(resultCode: .SQLITE_RANGE, message: "no column \(index) in this row",
                                    sql: String(cString: sqlite3_sql(statement)))
            }
            guard let value = V.fromStatement(statement, atUncheckedIndex: index) else {
                throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "column \(index) cannot be read as \(V.self) (NULL?)",
                                    sql: String(cString: sqlite3_sql(statement)))
            }
            return value
        }
    }
}

/// Steps a statement through GRDB (its error handling and transaction bookkeeping), giving the bare
/// statement at each row.
final class LiveRowCursor: DatabaseCursor {
    typealias Element = SQLiteStatement
    let _statement: Statement
    var _isDone = false

    /// Resets `statement` and binds `arguments` (checked against the statement's parameters).
    init(_ statement: Statement, arguments: StatementArguments) throws {
        _statement = statement
        try statement.setArguments(arguments)
    }

    deinit {
        // A statement left on a row would keep its read transaction open. The code of a failed step is
        // already reported by `next()`.
        sqlite3_reset(_statement.sqliteStatement)
    }

    func _element(sqliteStatement: SQLiteStatement) throws -> SQLiteStatement { sqliteStatement }
}
