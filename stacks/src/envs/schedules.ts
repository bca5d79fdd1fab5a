/** Schedules shared by the environments' scheduler configs. */
export const OFFICE_HOURS = {
  name: 'office-hours',
  timezone: 'Europe/Berlin',
  periods: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '07:00', stop: '19:00' }],
  skipDates: ['2026-12-24', '2026-12-25', '2026-12-26', '2026-12-31', '2027-01-01'],
};
