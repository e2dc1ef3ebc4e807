// List filters are drop-downs (templates/admin/filter.html): one open at a time, none open on load
// (Django's filters.js would reopen the last one over the table).
'use strict';
window.addEventListener('load', function() {
    const filters = document.querySelectorAll('#changelist-filter details');
    filters.forEach(function(details) {
        details.open = false;
        details.addEventListener('toggle', function() {
            if (!details.open) { return; }
            filters.forEach(function(other) { if (other !== details) { other.open = false; } });
        });
    });
});
