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

from django.db import DEFAULT_DB_ALIAS, connections


def get_with_related(model, *, related: tuple[str, ...], filters: dict, lock: bool = False):
    """The one row of `model` matching `filters` (field name or "pk" -> value, equalities), with the
    forward foreign keys `related` loaded; None when there is none. `lock`: FOR UPDATE OF the
    row (on databases that lock rows; the others serialise writers anyway)."""
    connection = connections[DEFAULT_DB_ALIAS]  # the proxy `django.db.connection`, resolved once
    lock = lock and connection.features.has_select_for_update_of
    filters = {(model._meta.pk.name if name == "pk" else name): value for name, value in filters.items()}
    sql, parts = _plan(model, tuple(related), tuple(filters), lock, connection.vendor)
    meta = model._meta
    params = [meta.get_field(name).get_db_prep_value(value, connection) for name, value in filters.items()]
    with connection.cursor() as cursor:
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
def _plan(model, related, filter_names, lock, vendor):
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
    where = " AND ".join(f"t0.{qn(meta.get_field(name).column)} = %s" for name in filter_names)
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
    with connection.cursor() as cursor:
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
