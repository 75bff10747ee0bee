-- +goose Up
-- The state's working calendar: which days of the week are its weekend and which dates are
-- public holidays (federal and the state's own). Every "within N working days" the portal
-- promises (a cancellation's due date) is counted on it.
-- modules/calendar owns both tables; the IT officer maintains them on the console.
CREATE TABLE working_calendar (
    only_row     boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    -- ISO days of the week: 1 Monday … 7 Sunday.
    weekend_days smallint[] NOT NULL
        CHECK (weekend_days <@ '{1,2,3,4,5,6,7}'::smallint[] AND cardinality(weekend_days) BETWEEN 1 AND 3),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    updated_by   text NOT NULL DEFAULT 'migration'
);

CREATE TABLE public_holidays (
    day        date PRIMARY KEY,
    name_ms    text NOT NULL CHECK (length(name_ms) BETWEEN 1 AND 200),
    name_en    text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    scope      text NOT NULL CHECK (scope IN ('federal', 'state')),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT 'migration'
);

-- Kelantan, Terengganu and Kedah rest on Friday and Saturday; every other state on Saturday
-- and Sunday. The schema is the tenant's (tenant_<code>), pinned by the migration's handle.
INSERT INTO working_calendar (weekend_days)
SELECT CASE WHEN current_schema() IN ('tenant_kelantan', 'tenant_terengganu', 'tenant_kedah')
    THEN '{5,6}'::smallint[] ELSE '{6,7}'::smallint[] END;

-- Defaults for 2026 and 2027 as best known when this was written: the federal holidays every
-- state keeps, and the own holidays of the four states the portal first served. Islamic and
-- lunar dates are estimates and replacement holidays (cuti gantian) are announced each year:
-- the state confirms or corrects them on the console or with the yearly CSV import.
INSERT INTO public_holidays (day, name_ms, name_en, scope)
SELECT d.day::date, d.name_ms, d.name_en, CASE WHEN d.state = '' THEN 'federal' ELSE 'state' END
FROM (VALUES
    ('', '2026-02-17', 'Tahun Baru Cina', 'Chinese New Year'),
    ('', '2026-02-18', 'Tahun Baru Cina (Hari Kedua)', 'Chinese New Year (second day)'),
    ('', '2026-03-21', 'Hari Raya Aidilfitri', 'Hari Raya Aidilfitri'),
    ('', '2026-03-22', 'Hari Raya Aidilfitri (Hari Kedua)', 'Hari Raya Aidilfitri (second day)'),
    ('', '2026-05-01', 'Hari Pekerja', 'Labour Day'),
    ('', '2026-05-27', 'Hari Raya Haji', 'Hari Raya Haji'),
    ('', '2026-05-31', 'Hari Wesak', 'Wesak Day'),
    ('', '2026-06-01', 'Hari Keputeraan Yang di-Pertuan Agong', 'Birthday of the Yang di-Pertuan Agong'),
    ('', '2026-06-17', 'Awal Muharram', 'Awal Muharram'),
    ('', '2026-08-25', 'Maulidur Rasul', 'Birthday of Prophet Muhammad'),
    ('', '2026-08-31', 'Hari Kebangsaan', 'National Day'),
    ('', '2026-09-16', 'Hari Malaysia', 'Malaysia Day'),
    ('', '2026-11-08', 'Hari Deepavali', 'Deepavali'),
    ('', '2026-12-25', 'Hari Krismas', 'Christmas Day'),
    ('', '2027-02-06', 'Tahun Baru Cina', 'Chinese New Year'),
    ('', '2027-02-07', 'Tahun Baru Cina (Hari Kedua)', 'Chinese New Year (second day)'),
    ('', '2027-03-10', 'Hari Raya Aidilfitri', 'Hari Raya Aidilfitri'),
    ('', '2027-03-11', 'Hari Raya Aidilfitri (Hari Kedua)', 'Hari Raya Aidilfitri (second day)'),
    ('', '2027-05-01', 'Hari Pekerja', 'Labour Day'),
    ('', '2027-05-17', 'Hari Raya Haji', 'Hari Raya Haji'),
    ('', '2027-05-20', 'Hari Wesak', 'Wesak Day'),
    ('', '2027-06-06', 'Awal Muharram', 'Awal Muharram'),
    ('', '2027-06-07', 'Hari Keputeraan Yang di-Pertuan Agong', 'Birthday of the Yang di-Pertuan Agong'),
    ('', '2027-08-15', 'Maulidur Rasul', 'Birthday of Prophet Muhammad'),
    ('', '2027-08-31', 'Hari Kebangsaan', 'National Day'),
    ('', '2027-09-16', 'Hari Malaysia', 'Malaysia Day'),
    ('', '2027-10-29', 'Hari Deepavali', 'Deepavali'),
    ('', '2027-12-25', 'Hari Krismas', 'Christmas Day'),

    ('pahang', '2026-01-01', 'Tahun Baru', 'New Year''s Day'),
    ('pahang', '2026-03-07', 'Nuzul Al-Quran', 'Nuzul Al-Quran'),
    ('pahang', '2026-05-22', 'Hari Hol Pahang', 'Pahang Hol Day'),
    ('pahang', '2026-07-30', 'Hari Keputeraan Sultan Pahang', 'Birthday of the Sultan of Pahang'),
    ('pahang', '2027-01-01', 'Tahun Baru', 'New Year''s Day'),
    ('pahang', '2027-02-24', 'Nuzul Al-Quran', 'Nuzul Al-Quran'),
    ('pahang', '2027-05-22', 'Hari Hol Pahang', 'Pahang Hol Day'),
    ('pahang', '2027-07-30', 'Hari Keputeraan Sultan Pahang', 'Birthday of the Sultan of Pahang'),

    ('kelantan', '2026-03-07', 'Nuzul Al-Quran', 'Nuzul Al-Quran'),
    ('kelantan', '2026-05-26', 'Hari Arafah', 'Arafat Day'),
    ('kelantan', '2026-05-28', 'Hari Raya Haji (Hari Kedua)', 'Hari Raya Haji (second day)'),
    ('kelantan', '2026-09-29', 'Hari Keputeraan Sultan Kelantan', 'Birthday of the Sultan of Kelantan'),
    ('kelantan', '2026-09-30', 'Hari Keputeraan Sultan Kelantan (Hari Kedua)', 'Birthday of the Sultan of Kelantan (second day)'),
    ('kelantan', '2027-02-24', 'Nuzul Al-Quran', 'Nuzul Al-Quran'),
    ('kelantan', '2027-05-16', 'Hari Arafah', 'Arafat Day'),
    ('kelantan', '2027-05-18', 'Hari Raya Haji (Hari Kedua)', 'Hari Raya Haji (second day)'),
    ('kelantan', '2027-09-29', 'Hari Keputeraan Sultan Kelantan', 'Birthday of the Sultan of Kelantan'),
    ('kelantan', '2027-09-30', 'Hari Keputeraan Sultan Kelantan (Hari Kedua)', 'Birthday of the Sultan of Kelantan (second day)'),

    ('melaka', '2026-01-01', 'Tahun Baru', 'New Year''s Day'),
    ('melaka', '2026-04-15', 'Hari Perisytiharan Melaka sebagai Bandaraya Bersejarah', 'Declaration of Melaka as a Historic City'),
    ('melaka', '2026-10-09', 'Hari Jadi Yang di-Pertua Negeri Melaka', 'Birthday of the Governor of Melaka'),
    ('melaka', '2027-01-01', 'Tahun Baru', 'New Year''s Day'),
    ('melaka', '2027-04-15', 'Hari Perisytiharan Melaka sebagai Bandaraya Bersejarah', 'Declaration of Melaka as a Historic City'),
    ('melaka', '2027-10-08', 'Hari Jadi Yang di-Pertua Negeri Melaka', 'Birthday of the Governor of Melaka'),

    ('selangor', '2026-01-01', 'Tahun Baru', 'New Year''s Day'),
    ('selangor', '2026-02-01', 'Thaipusam', 'Thaipusam'),
    ('selangor', '2026-03-07', 'Nuzul Al-Quran', 'Nuzul Al-Quran'),
    ('selangor', '2026-12-11', 'Hari Keputeraan Sultan Selangor', 'Birthday of the Sultan of Selangor'),
    ('selangor', '2027-01-01', 'Tahun Baru', 'New Year''s Day'),
    ('selangor', '2027-01-22', 'Thaipusam', 'Thaipusam'),
    ('selangor', '2027-02-24', 'Nuzul Al-Quran', 'Nuzul Al-Quran'),
    ('selangor', '2027-12-11', 'Hari Keputeraan Sultan Selangor', 'Birthday of the Sultan of Selangor')
) AS d(state, day, name_ms, name_en)
WHERE d.state = '' OR 'tenant_' || d.state = current_schema();

-- +goose Down
DROP TABLE public_holidays;
DROP TABLE working_calendar;
