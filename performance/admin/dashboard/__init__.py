"""What people see beyond the model screens: the 数据看板 (``views``, ``selectors``, ``charts``)
and the printable official tables (``printing``), mounted by ``urls`` under /admin/."""
