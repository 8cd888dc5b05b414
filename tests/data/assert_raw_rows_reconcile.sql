-- Nothing lost: every raw row of every file is kept, superseded or quarantined, exactly once.
select
    entity,
    source_file,
    raw_rows,
    kept_rows,
    superseded_rows,
    quarantined_rows
from {{ ref('int_crawl_files_reconciled') }}
where raw_rows != kept_rows + superseded_rows + quarantined_rows
