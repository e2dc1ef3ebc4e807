// 二级 follows 一级 on the goal page's indicator rows (admin/goals.py IndicatorRowForm): only the
// chosen 一级's 二级 names are offered; a 二级 of another 一级 is cleared. Rows added later too.
'use strict';
(function() {
    function level2Of(level1) {
        return document.getElementById(level1.id.replace(/-level1$/, '-level2'));
    }
    function filter(level1) {
        const level2 = level2Of(level1);
        if (!level2) { return; }
        level2.querySelectorAll('option[data-level1]').forEach(function(option) {
            const shown = !level1.value || option.dataset.level1 === level1.value;
            option.hidden = !shown;
            option.disabled = !shown;
            if (!shown && option.selected) { level2.value = ''; }
        });
        level2.querySelectorAll('optgroup').forEach(function(group) {
            group.hidden = Boolean(level1.value) && group.label !== level1.value;
        });
    }
    function isLevel1(element) {
        return element && element.tagName === 'SELECT' && /-level1$/.test(element.id);
    }
    document.addEventListener('change', function(event) {
        if (isLevel1(event.target)) { filter(event.target); }
    });
    document.addEventListener('formset:added', function(event) {
        event.target.querySelectorAll('select').forEach(function(s) { if (isLevel1(s)) { filter(s); } });
    });
    window.addEventListener('load', function() {
        document.querySelectorAll('select').forEach(function(s) { if (isLevel1(s)) { filter(s); } });
    });
})();
