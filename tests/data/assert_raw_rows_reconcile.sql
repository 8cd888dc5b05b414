-- Nothing lost: every raw row of every file is kept, superseded or quarantined, exactly once.
select
    reconciled_file_key,
    raw_count,
    kept_count + superseded_count + quarantined_count as accounted_count
from {{ ref('int_crawl_files_reconciled') }}
where raw_count != kept_count + superseded_count + quarantined_count
