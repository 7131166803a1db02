"""数据管理: status of each data file, downloads, replace a file from an upload, backups and restore."""

import streamlit as st

from townboard import export, schema, ui

state = ui.current()
shown = state.bundle
st.title("数据管理")
st.caption(f"数据文件夹：{state.data_dir}")

st.subheader("数据文件")
st.dataframe(ui.file_status_table(state), hide_index=True, width="stretch")

if shown is not None:
    st.subheader("下载")
    cols = st.columns(len(schema.FILE_KINDS) + 1)
    for col, kind in zip(cols, schema.FILE_KINDS):
        col.download_button(
            f"{schema.FILE_LABELS[kind]}（CSV）",
            ui.cached_file(shown, ("csv", kind), lambda kind=kind: export.to_csv_bytes(export.data_table(shown, kind))),
            file_name=f"{kind}.csv",
            mime="text/csv",
            icon=":material/download:",
            key=f"dl-{kind}",
        )
    cols[-1].download_button(
        "全部数据（Excel 工作簿）",
        ui.cached_file(shown, ("workbook",), lambda: export.workbook(shown)),
        file_name="铁石口镇看板数据.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="dl-all",
    )

st.subheader("上传新文件替换")
st.caption(
    "上传 CSV 或 Excel（.xlsx）文件：先校验，再显示与当前文件的差异，确认后才替换；旧文件自动备份到 backups 文件夹。"
)
if ui.admin_panel("data"):
    ui.saved_message()
    ui.upload_flow(state)
    st.subheader("备份与恢复")
    ui.backups_panel(state)
