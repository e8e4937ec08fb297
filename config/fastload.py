"""One row and its foreign keys in one SELECT, built as the ORM builds them, without the ORM's
query compiler.

`Model.objects.select_for_update(of=("self",)).select_related(...).filter(...).first()` on
the event path spent longer compiling the SQL (five tables' columns, the joins, the lock) than
PostgreSQL spent answering it (bench/run.py). Here the SQL of a given model, relations and
filter columns is built once per process from the models' metadata (so a column added by a
migration is picked up), and each row becomes model instances with the backend's and the
fields' converters, the related ones in the fields' caches as `select_related` leaves them.
"""

from functools import lru_cache

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def hot_cursor():
    """A cursor for the statements of this module, which every run and event executes. On
    PostgreSQL (psycopg 3) it binds parameters on the server and prepares each statement once
    per connection (the ORM's cursors quote every value into the SQL text, in Python, and
    PostgreSQL parses and plans each statement anew), unless DATABASE_PREPARED_STATEMENTS is
    off (a pooler that cannot keep prepared statements, as PgBouncer before 1.21 in
    transaction mode). Queries are logged and errors wrapped as on Django's own cursors."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql" or not getattr(settings, "DATABASE_PREPARED_STATEMENTS", False) or _PreparingCursor is None:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off (None). Only these cursors ask for it (prepare=True);
        # Django's own cursors bind on the client, and those never prepare.
        raw.prepare_threshold = PREPARE_ONLY_WHEN_ASKED
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = _PreparingCursor(raw)
    if connection.queries_logged:  # DEBUG, tests counting queries
        return _LoggedCursor(cursor, connection)
    return connection.make_cursor(cursor)


PREPARE_ONLY_WHEN_ASKED = 2**31 - 1  # psycopg's threshold: no statement is run this often unasked


try:
    from django.db.backends.postgresql.base import ServerBindingCursor as _ServerBindingCursor
except ImportError:  # psycopg 2, or no PostgreSQL driver
    _PreparingCursor = None
else:

    class _PreparingCursor(_ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=True, binary=None):
            return super().execute(query, params, prepare=prepare, binary=binary)

    class _LoggedCursor(CursorDebugWrapper):
        """Logs the statement with its values in it, as Django's client-binding cursors do
        (Django reads the executed text from the cursor, which here holds $1 placeholders)."""

        def execute(self, sql, params=None):
            logged = self.db.ops.compose_sql(sql, params) if params else sql
            with self.debug_sql(logged, None, use_last_executed_query=False):
                return CursorWrapper.execute(self, sql, params)


def get_with_related(model, *, related: tuple[str, ...], filters: dict, null: tuple[str, ...] = (), lock: bool = False):
    """The one row of `model` matching `filters` (field name or "pk" -> value, equalities) and
    whose fields `null` are NULL, with the forward foreign keys `related` loaded; None when
    there is none. `lock`: FOR UPDATE OF the row (on databases that lock rows; the others
    serialise writers anyway)."""
    connection = connections[DEFAULT_DB_ALIAS]  # the proxy `django.db.connection`, resolved once
    lock = lock and connection.features.has_select_for_update_of
    filters = {(model._meta.pk.name if name == "pk" else name): value for name, value in filters.items()}
    sql, parts = _plan(model, tuple(related), tuple(filters), lock, connection.vendor, tuple(null))
    meta = model._meta
    params = [meta.get_field(name).get_db_prep_value(value, connection) for name, value in filters.items()]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchmany(2)
    if not rows:
        return None
    row, position, instances = rows[0], 0, []
    for relation, part_model, fields, converters, pk_index in parts:
        values = list(row[position : position + len(fields)])
        position += len(fields)
        for index, field_converters in converters:
            if values[index] is not None:
                for converter, expression in field_converters:
                    values[index] = converter(values[index], expression, connection)
        if values[pk_index] is None:
            instance = None  # a nullable foreign key that is not set
        else:
            instance = part_model.from_db(connection.alias, [field.attname for field in fields], values)
        instances.append((relation, instance))
    root = instances[0][1]
    for relation, instance in instances[1:]:
        relation.set_cached_value(root, instance)
    return root


@lru_cache(maxsize=64)
def _plan(model, related, filter_names, lock, vendor, null_names=()):
    """The SQL, and per table: the relation, the model, its fields, the converters of the
    fields that have any (index -> [(converter, expression)]) and the primary key's index."""
    connection = connections[DEFAULT_DB_ALIAS]
    qn = connection.ops.quote_name
    meta = model._meta
    parts = [(None, model, list(meta.concrete_fields))]
    joins = []
    for index, name in enumerate(related, 1):
        relation = meta.get_field(name)
        target = relation.related_model
        alias = f"t{index}"
        kind = "LEFT OUTER JOIN" if relation.null else "INNER JOIN"
        joins.append(
            f"{kind} {qn(target._meta.db_table)} {alias} "
            f"ON {alias}.{qn(relation.target_field.column)} = t0.{qn(relation.column)}"
        )
        parts.append((relation, target, list(target._meta.concrete_fields)))
    columns = [
        f"{'t0' if index == 0 else f't{index}'}.{qn(field.column)}"
        for index, (_, _, fields) in enumerate(parts)
        for field in fields
    ]
    where = " AND ".join(
        [f"t0.{qn(meta.get_field(name).column)} = %s" for name in filter_names]
        + [f"t0.{qn(meta.get_field(name).column)} IS NULL" for name in null_names]
    )
    sql = f"SELECT {', '.join(columns)} FROM {qn(meta.db_table)} t0 {' '.join(joins)} WHERE {where}"
    if lock:
        sql += " FOR UPDATE OF t0"
    plans = []
    for relation, part_model, fields in parts:
        converters = []
        for index, field in enumerate(fields):
            expression = field.get_col(field.model._meta.db_table)
            found = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
            if found:
                converters.append((index, [(converter, expression) for converter in found]))
        pk_index = next(index for index, field in enumerate(fields) if field.primary_key)
        plans.append((relation, part_model, fields, converters, pk_index))
    return sql, plans


def columns(model, alias: str) -> str:
    """`alias.col, ...` for every concrete field of `model`, in the order first_of() reads them."""
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    return ", ".join(f"{alias}.{qn(field.column)}" for field in model._meta.concrete_fields)


def first_of(model, sql: str, params):
    """The first row of `sql` (which selects columns(model, ...) first) as a `model` instance,
    or None: what `Model.objects.raw(sql, params)` gives, without RawQuerySet's per-query
    work of matching column names to fields."""
    connection = connections[DEFAULT_DB_ALIAS]
    _, parts = _plan(model, (), (model._meta.pk.name,), False, connection.vendor)
    _, _, fields, converters, _ = parts[0]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row[: len(fields)])
    for index, field_converters in converters:
        if values[index] is not None:
            for converter, expression in field_converters:
                values[index] = converter(values[index], expression, connection)
    return model.from_db(connection.alias, [field.attname for field in fields], values)


# --- writes -----------------------------------------------------------------------------------
# The ORM compiles an INSERT or UPDATE anew for every save, which on the run and event paths
# cost several times what the database spends on the statement (bench/inprocess.py). The same
# statements are built here once per model and set of columns; the values are prepared by the
# fields themselves (pre_save, get_db_prep_save), as the ORM's compilers prepare them.


class FastWrites:
    """A model mixin: save() writes with SQL built once per model and columns, on the default
    database. Everything else of save() is Django's own (the model's save() override, signals,
    pre_save of auto_now fields, the UPDATE-then-INSERT decision). Values that are expressions
    (F(), functions) and other databases take the ORM's path."""

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        if not values or using != DEFAULT_DB_ALIAS or self._meta.select_on_save or not _plain(v for _, _, v in values):
            return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        connection = connections[DEFAULT_DB_ALIAS]
        meta = self._meta
        sql = _update_sql(type(self), tuple(field.attname for field, _, _ in values), connection.vendor)
        params = [field.get_db_prep_save(value, connection) for field, _, value in values]
        params.append(meta.pk.get_db_prep_value(pk_val, connection))
        with hot_cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount > 0

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        meta = self._meta
        if using != DEFAULT_DB_ALIAS or any(field is not meta.auto_field for field in returning_fields or ()):
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        values = [getattr(self, field.attname) if raw else field.pre_save(self, True) for field in fields]
        if not _plain(values):
            return super()._do_insert(manager, using, fields, returning_fields, raw)
        connection = connections[DEFAULT_DB_ALIAS]
        returning = bool(returning_fields) and connection.features.can_return_columns_from_insert
        sql = _insert_sql(type(self), tuple(field.attname for field in fields), 1, returning, connection.vendor)
        params = [field.get_db_prep_save(value, connection) for field, value in zip(fields, values)]
        with hot_cursor() as cursor:
            cursor.execute(sql, params)
            if returning:
                return [cursor.fetchone()]
            if returning_fields:
                return [(connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column),)]
        return []


def bulk_insert(objs: list) -> list:
    """`Model.objects.bulk_create(objs)` for instances of one model on the default database, as
    one INSERT built once per model and row count: primary keys of auto fields are set from
    RETURNING (PostgreSQL, SQLite), each instance ends as saved. No signals, as with
    bulk_create."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    connection = connections[DEFAULT_DB_ALIAS]
    auto = meta.auto_field
    if (
        any(type(obj) is not model or obj.pk is not None and auto is not None for obj in objs)
        or not connection.features.can_return_rows_from_bulk_insert
        or len(objs) * len(meta.concrete_fields) > 900  # SQLite's parameter limit: the ORM batches
    ):
        return model._base_manager.bulk_create(objs)
    fields = [field for field in meta.concrete_fields if not field.generated and field is not auto]
    params, rows = [], []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        if auto is None and obj.pk is None:
            obj.pk = meta.pk.get_pk_value_on_save(obj)
        values = [field.pre_save(obj, True) for field in fields]
        rows.append(values)
    if not all(_plain(values) for values in rows):
        return model._base_manager.bulk_create(objs)
    for values in rows:
        params.extend(field.get_db_prep_save(value, connection) for field, value in zip(fields, values))
    returning = auto is not None
    sql = _insert_sql(model, tuple(field.attname for field in fields), len(objs), returning, connection.vendor)
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall() if returning else ()
    for index, obj in enumerate(objs):
        if returning:
            setattr(obj, auto.attname, returned[index][0])
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS
    return objs


def _plain(values) -> bool:
    return not any(hasattr(value, "resolve_expression") for value in values)


@lru_cache(maxsize=256)
def _update_sql(model, attnames: tuple[str, ...], vendor: str) -> str:
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    meta = model._meta
    assignments = ", ".join(f"{qn(meta.get_field(_name_of(model, attname)).column)} = %s" for attname in attnames)
    return f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"


@lru_cache(maxsize=256)
def _insert_sql(model, attnames: tuple[str, ...], rows: int, returning: bool, vendor: str) -> str:
    qn = connections[DEFAULT_DB_ALIAS].ops.quote_name
    meta = model._meta
    columns = ", ".join(qn(meta.get_field(_name_of(model, attname)).column) for attname in attnames)
    row = f"({', '.join(['%s'] * len(attnames))})"
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES {', '.join([row] * rows)}"
    if returning:
        sql += f" RETURNING {qn(meta.db_table)}.{qn(meta.auto_field.column)}"
    return sql


def _name_of(model, attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    raise LookupError(attname)
